// Error codes of port publishing beyond the spec's (100+ belong to plugins): lib/cni owns
// 100-101, IPAM 110-119, the zone 120-129, ports 130-139.
import { CniError, ErrorCode } from '../cni/errors.js';

export const PortsErrorCode = {
  /** A host port (protocol, port, hostIP) is already published by another attachment. */
  PortConflict: 130,
  /** CHECK found a mapping missing or pointing elsewhere. */
  CheckFailed: 131,
} as const;

export function invalidMapping(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

export function portsCheckFailed(msg: string, details = ''): CniError {
  return new CniError(PortsErrorCode.CheckFailed, msg, details);
}
