// Failures of ctnetlink requests: the kernel's errno (positive, as errno is) when the kernel
// refused, undefined when the socket itself failed or the answer made no sense.
import { CniError, ErrorCode } from '../cni/errors.js';

const ENOENT = 2;

export class ConntrackError extends CniError {
  constructor(
    /** What was attempted, e.g. `dump udp entries`. */
    readonly operation: string,
    readonly errno: number | undefined,
    reason: string,
  ) {
    super(ErrorCode.Internal, `conntrack: cannot ${operation}`, reason);
    this.name = 'ConntrackError';
  }
}

/** The entry is gone already (expired, or someone else deleted it). */
export function isGone(e: unknown): boolean {
  return e instanceof ConntrackError && e.errno === ENOENT;
}
