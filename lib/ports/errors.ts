// Port publishing's failures: its codes (130-139) live in the one registry, lib/cni/errors.ts.
import { CniError, ErrorCode } from '../cni/errors.js';

/** @deprecated the registry's names, ErrorCode.PortConflict and ErrorCode.PortsCheckFailed (kept while test/lib/ports is rewritten) */
export const PortsErrorCode = { PortConflict: ErrorCode.PortConflict, CheckFailed: ErrorCode.PortsCheckFailed } as const;

export function invalidMapping(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

export function portsCheckFailed(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.PortsCheckFailed, msg, details);
}
