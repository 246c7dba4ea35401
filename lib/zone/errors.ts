// The zone plugin's failures: its codes (120-129) live in the one registry, lib/cni/errors.ts.
import { CniError, ErrorCode } from '../cni/errors.js';

export function checkFailed(what: string, details = ''): CniError {
  return new CniError(ErrorCode.ZoneCheckFailed, what, details);
}
