// Port publishing's failures: its codes (130-139) live in the one registry, lib/cni/errors.ts.
import { CniError, ErrorCode } from '../cni/errors.js';

export function invalidMapping(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

export function portsCheckFailed(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.PortsCheckFailed, msg, details);
}
