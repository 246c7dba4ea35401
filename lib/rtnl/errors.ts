// Typed rtnetlink failures, in the manner of knftables: the kernel's errno survives as
// `errno` ('EEXIST', 'ENODEV', ...), and isExists/isNotFound answer the two questions an
// idempotent ADD or DEL asks. Errno numbers (from an NLMSG_ERROR or a failed socket call)
// become names here and nowhere else.

import { CniError, ErrorCode, type ErrorCodeValue } from '../cni/errors.js';
import { type Address, type Cidr, parseAddress, parseCidr } from '../ip/index.js';
import { LibcError } from '../libc/index.js';

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

export class RtnlError extends CniError {
  constructor(
    /** What was attempted, e.g. `create veth vh1`. */
    readonly operation: string,
    /** The kernel's errno name, undefined when the failure is not the kernel's answer. */
    readonly errno: string | undefined,
    code: ErrorCodeValue,
    msg: string,
    details = '',
  ) {
    super(code, msg, details);
    this.name = 'RtnlError';
  }
}

export function isRtnlError(e: unknown): e is RtnlError {
  return e instanceof RtnlError;
}

/** The object is already there (EEXIST). */
export function isExists(e: unknown): boolean {
  return e instanceof RtnlError && e.errno === 'EEXIST';
}

/** The link, address or route is not there (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL). */
export function isNotFound(e: unknown): boolean {
  return e instanceof RtnlError && e.errno !== undefined && notFoundErrnos.has(e.errno);
}

/** `EEXIST` for 17; `errno 600` for a number we do not name. */
export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `errno ${errno}`;
}

function codeFor(errno: string): ErrorCodeValue {
  return busyErrnos.has(errno) ? ErrorCode.TryAgainLater : ErrorCode.Internal;
}

/** The kernel refused (a positive errno), with its extended-ack message as the details. */
export function refused(operation: string, errno: number, extAck = ''): RtnlError {
  const name = errnoName(errno);
  return new RtnlError(operation, name, codeFor(name), `${operation}: ${name}`, extAck);
}

/** No answer within the bounded wait. */
export function timedOut(operation: string, waitedMs: number): RtnlError {
  return new RtnlError(operation, undefined, ErrorCode.PluginTimeout, `${operation}: no answer from the kernel within ${waitedMs} ms`);
}

/** The kernel's answer could not be read whole (cut short, or a dump interrupted by changes). */
export function incompleteAnswer(operation: string, reason: 'truncated' | 'interrupted'): RtnlError {
  const interrupted = reason === 'interrupted';
  const msg = interrupted ? 'the dump kept being interrupted by concurrent changes' : 'the answer did not fit the receive buffer';
  return new RtnlError(operation, undefined, interrupted ? ErrorCode.TryAgainLater : ErrorCode.Internal, `${operation}: ${msg}`);
}

/** An answer that breaks the netlink protocol. */
export function malformedAnswer(operation: string, problem: string): RtnlError {
  return new RtnlError(operation, undefined, ErrorCode.Internal, `${operation}: ${problem}`);
}

/** Any failure of a netlink request as an RtnlError naming the operation. */
export function toRtnlError(e: unknown, operation: string): RtnlError {
  if (e instanceof RtnlError) return e;
  if (e instanceof LibcError) return refused(operation, e.errno, e.message);
  const message = e instanceof Error ? e.message : String(e);
  // Node's own system errors (ErrnoException) carry the name already.
  const code = (e as { code?: unknown } | null)?.code;
  const name = typeof code === 'string' ? code : undefined;
  return new RtnlError(operation, name, name ? codeFor(name) : ErrorCode.Internal, `${operation}: ${name ?? message}`, message);
}

/** Our own "no such object", shaped like the kernel's so isNotFound answers it. */
export function notFound(operation: string, what: string): RtnlError {
  return new RtnlError(operation, 'ENODEV', ErrorCode.Internal, `${operation}: ${what} not found`);
}

/** Bad input from the caller, rejected before anything is sent. */
export function invalidArgument(operation: string, problem: string): RtnlError {
  return new RtnlError(operation, undefined, ErrorCode.InvalidNetworkConfig, `${operation}: ${problem}`);
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
