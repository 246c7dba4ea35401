// IPAM's failures: its codes (110-119) live in the one registry, lib/cni/errors.ts.
import { CniError, ErrorCode } from '../cni/errors.js';

export function invalidConfig(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

export function storeFailure(action: string, path: string, error: unknown): CniError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CniError(ErrorCode.IoFailure, `IPAM store: cannot ${action} ${path}`, reason, { cause: error });
}
