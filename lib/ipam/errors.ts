// Error codes of IPAM failures that are not spec codes (the spec leaves 100+ to plugins).
// lib/cni/errors.ts owns 100 and 101; IPAM uses 110–119.
import { CniError, ErrorCode } from '../cni/errors.js';

export const IpamErrorCode = {
  /** No free address left in a range set. */
  RangeExhausted: 110,
  /** A requested address is held by another attachment, or is the gateway. */
  AddressUnavailable: 111,
  /** ADD for an attachment that already holds an address in the range set (host-local refuses it too). */
  AlreadyAllocated: 112,
  /** CHECK: the store holds no address for the attachment. */
  NotAllocated: 113,
  /** CHECK: the store and prevResult disagree. */
  AllocationMismatch: 114,
} as const;

export function invalidConfig(msg: string, details = ''): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

export function storeFailure(action: string, path: string, error: unknown): CniError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CniError(ErrorCode.IoFailure, `IPAM store: cannot ${action} ${path}`, reason);
}
