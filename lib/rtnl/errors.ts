// Typed rtnetlink failures, in the manner of knftables: each has one `reason` from a fixed set,
// and the kernel's errno survives as `errno` ('EEXIST', 'ENODEV', ...) for the curious.
// isRtnlExists/isRtnlNotFound answer the two questions an idempotent ADD or DEL asks. Errno
// numbers (from an NLMSG_ERROR or a failed socket call) become names and reasons here and
// nowhere else; what a reason means to a runtime (a CNI code) is lib/cni/errors.ts's to say.

import { type Address, type Cidr, parseAddress, parseCidr } from '../ip/index.js';
import { LibcError } from '../libc/index.js';
import { Failure } from '../system/failure.js';

/**
 * - `exists`: the object is already there (EEXIST)
 * - `not-found`: the link, address or route is not there (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL)
 * - `busy`: the kernel asks to come back (EBUSY, EAGAIN), or a dump kept being interrupted by changes
 * - `timeout`: no answer within the bounded wait
 * - `incomplete`: the answer did not fit the receive buffer
 * - `malformed`: an answer that breaks the netlink protocol
 * - `invalid-argument`: bad input from the caller, rejected before anything was sent
 * - `failed`: the kernel refused with any other errno, or the socket itself failed
 */
export type RtnlReason = 'exists' | 'not-found' | 'busy' | 'timeout' | 'incomplete' | 'malformed' | 'invalid-argument' | 'failed';

declare module '../system/failure.js' {
  interface FailureReasons {
    rtnl: RtnlReason;
  }
}

const notFoundErrnos = new Set(['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL']);
const busyErrnos = new Set(['EBUSY', 'EAGAIN']);

// The errnos rtnetlink answers with in practice (asm-generic/errno-base.h, errno.h); any
// other one is reported by number.
const errnoNames: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  18: 'EXDEV',
  19: 'ENODEV',
  22: 'EINVAL',
  24: 'EMFILE',
  28: 'ENOSPC',
  34: 'ERANGE',
  61: 'ENODATA',
  71: 'EPROTO',
  75: 'EOVERFLOW',
  90: 'EMSGSIZE',
  93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  100: 'ENETDOWN',
  101: 'ENETUNREACH',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  113: 'EHOSTUNREACH',
  // Kernel-internal, but rtnetlink lets it through (an operation a driver lacks).
  524: 'ENOTSUPP',
};

export class RtnlError extends Failure<'rtnl', RtnlReason> {
  constructor(
    reason: RtnlReason,
    /** What was attempted, e.g. `create veth vh1`. */
    readonly operation: string,
    /** The kernel's errno name, undefined when the failure is not the kernel's answer. */
    readonly errno: string | undefined,
    msg: string,
    details = '',
    options?: ErrorOptions,
  ) {
    super('rtnl', reason, msg, details, options);
    this.name = 'RtnlError';
  }
}

export function isRtnlError(e: unknown, reason?: RtnlReason): e is RtnlError {
  return e instanceof RtnlError && (reason === undefined || e.reason === reason);
}

/** The kernel already has that link, address or route. */
export function isRtnlExists(e: unknown): e is RtnlError {
  return isRtnlError(e, 'exists');
}

/** The kernel has no such link, address or route. */
export function isRtnlNotFound(e: unknown): e is RtnlError {
  return isRtnlError(e, 'not-found');
}

/** `EEXIST` for 17; `errno 600` for a number we do not name. */
export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `errno ${errno}`;
}

function reasonFor(errno: string): RtnlReason {
  if (errno === 'EEXIST') return 'exists';
  if (notFoundErrnos.has(errno)) return 'not-found';
  return busyErrnos.has(errno) ? 'busy' : 'failed';
}

/** The kernel refused (a positive errno), with its extended-ack message as the details. */
export function refused(operation: string, errno: number, extAck = ''): RtnlError {
  const name = errnoName(errno);
  return new RtnlError(reasonFor(name), operation, name, `${operation}: ${name}`, extAck);
}

/** No answer within the bounded wait. */
export function timedOut(operation: string, waitedMs: number): RtnlError {
  return new RtnlError('timeout', operation, undefined, `${operation}: no answer from the kernel within ${waitedMs} ms`);
}

/** The kernel's answer could not be read whole (cut short, or a dump interrupted by changes). */
export function incompleteAnswer(operation: string, why: 'truncated' | 'interrupted'): RtnlError {
  if (why === 'interrupted') {
    return new RtnlError('busy', operation, undefined, `${operation}: the dump kept being interrupted by concurrent changes`);
  }
  return new RtnlError('incomplete', operation, undefined, `${operation}: the answer did not fit the receive buffer`);
}

/** An answer that breaks the netlink protocol. */
export function malformedAnswer(operation: string, problem: string): RtnlError {
  return new RtnlError('malformed', operation, undefined, `${operation}: ${problem}`);
}

/** Any failure of a netlink request as an RtnlError naming the operation. */
export function toRtnlError(e: unknown, operation: string): RtnlError {
  if (e instanceof RtnlError) return e;
  if (e instanceof LibcError) {
    const name = errnoName(e.errno);
    return new RtnlError(reasonFor(name), operation, name, `${operation}: ${name}`, e.message, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  // Node's own system errors (ErrnoException) carry the name already.
  const code = (e as { code?: unknown } | null)?.code;
  const name = typeof code === 'string' ? code : undefined;
  return new RtnlError(name ? reasonFor(name) : 'failed', operation, name, `${operation}: ${name ?? message}`, message, { cause: e });
}

/** Our own "no such object", shaped like the kernel's (ENODEV) so isRtnlNotFound answers it. */
export function notFound(operation: string, what: string): RtnlError {
  return new RtnlError('not-found', operation, 'ENODEV', `${operation}: ${what} not found`);
}

/** Bad input from the caller, rejected before anything is sent. */
export function invalidArgument(operation: string, problem: string): RtnlError {
  return new RtnlError('invalid-argument', operation, undefined, `${operation}: ${problem}`);
}

/** `text` as an address, or an invalidArgument for `operation`. */
export function addressArgument(operation: string, text: string): Address {
  const address = parseAddress(text);
  if (!address) throw invalidArgument(operation, `"${text}" is not an IP address`);
  return address;
}

/** `text` as an address with a prefix length (host bits kept), or an invalidArgument for `operation`. */
export function cidrArgument(operation: string, text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw invalidArgument(operation, `"${text}" is not an address in CIDR notation`);
  return cidr;
}
