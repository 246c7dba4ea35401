// Typed rtnetlink failures, in the manner of knftables: the kernel's errno survives as
// `errno` ('EEXIST', 'ENODEV', ...), and isExists/isNotFound answer the two questions an
// idempotent ADD or DEL asks. The `netlink` package reports a refusal only as the text
// "Request rejected: EEXIST"; that text is parsed here and nowhere else.

import { CniError, ErrorCode, type ErrorCodeValue } from '../cni/errors.js';

const notFoundErrnos = new Set(['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL']);
const busyErrnos = new Set(['EBUSY', 'EAGAIN']);

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

/** The errno name in a `netlink` package error ("Request rejected: EEXIST"), if any. */
export function errnoFromMessage(message: string): string | undefined {
  return /^Request rejected: ([A-Z0-9]+|-?\d+)$/.exec(message)?.[1];
}

function codeFor(errno: string | undefined, message: string): ErrorCodeValue {
  if (errno !== undefined && busyErrnos.has(errno)) return ErrorCode.TryAgainLater;
  if (errno === undefined && /timeout/i.test(message)) return ErrorCode.PluginTimeout;
  return ErrorCode.Internal;
}

/** Any failure of a netlink request as an RtnlError naming the operation. */
export function toRtnlError(e: unknown, operation: string): RtnlError {
  if (e instanceof RtnlError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const errno = errnoFromMessage(message) ?? (e as { code?: unknown } | null)?.code;
  const name = typeof errno === 'string' ? errno : undefined;
  return new RtnlError(operation, name, codeFor(name, message), `${operation}: ${name ?? message}`, message);
}

/** Our own "no such object", shaped like the kernel's so isNotFound answers it. */
export function notFound(operation: string, what: string): RtnlError {
  return new RtnlError(operation, 'ENODEV', ErrorCode.Internal, `${operation}: ${what} not found`);
}

/** Bad input from the caller, rejected before anything is sent. */
export function invalidArgument(operation: string, problem: string): RtnlError {
  return new RtnlError(operation, undefined, ErrorCode.InvalidNetworkConfig, `${operation}: ${problem}`);
}

/** Run one request; its failure becomes an RtnlError. */
export async function request<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    throw toRtnlError(e, operation);
  }
}
