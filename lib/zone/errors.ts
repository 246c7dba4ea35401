// Error codes of the zone plugin beyond the spec's (100+ belong to plugins):
// lib/cni owns 100-101, IPAM 110-119, the zone 120-129.
import { CniError } from '../cni/errors.js';

export const ZoneErrorCode = {
  /** `vz-<zone>` exists but is not a bridge. */
  BridgeConflict: 120,
  /** CNI_IFNAME already exists in the container's namespace. */
  InterfaceExists: 121,
  /** CHECK found the attachment different from what ADD made. */
  CheckFailed: 122,
} as const;

export function checkFailed(what: string, details = ''): CniError {
  return new CniError(ZoneErrorCode.CheckFailed, what, details);
}
