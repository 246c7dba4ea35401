// Failures of ctnetlink requests, with one `reason`; the kernel's errno (positive, as errno is)
// stays as extra data when the kernel refused. What a reason means to a runtime (a CNI code) is
// lib/cni/errors.ts's to say.
import { Failure } from '../system/failure.js';

const ENOENT = 2;

/**
 * - `not-found`: the kernel has no such entry (ENOENT: it expired, or someone else deleted it)
 * - `timeout`: no answer within the socket's receive timeout
 * - `failed`: the kernel refused with another errno, the socket failed, or the answer made no sense
 */
export type ConntrackReason = 'not-found' | 'timeout' | 'failed';

declare module '../system/failure.js' {
  interface FailureReasons {
    conntrack: ConntrackReason;
  }
}

export class ConntrackError extends Failure<'conntrack', ConntrackReason> {
  constructor(
    reason: ConntrackReason,
    /** What was attempted, e.g. `dump udp entries`. */
    readonly operation: string,
    /** The kernel's errno when it refused, else undefined. */
    readonly errno: number | undefined,
    details: string,
    options?: ErrorOptions,
  ) {
    super('conntrack', reason, `conntrack: cannot ${operation}`, details, options);
    this.name = 'ConntrackError';
  }
}

/** The kernel refused `operation` with `errno`. */
export function conntrackRefused(operation: string, errno: number, details: string): ConntrackError {
  return new ConntrackError(errno === ENOENT ? 'not-found' : 'failed', operation, errno, details);
}

/** The entry is gone already (expired, or someone else deleted it). */
export function isGone(e: unknown): boolean {
  return e instanceof ConntrackError && e.reason === 'not-found';
}
