// Typed failures of namespace handling: one `reason` lets callers react without parsing
// messages (a DEL treats a namespace that is already gone as done). What a reason means to a
// runtime (a CNI code) is lib/cni/errors.ts's to say.

import { Failure } from '../system/failure.js';

export type NetnsReason =
  | 'not-found' // the path does not exist
  | 'not-netns' // it exists but is not a network namespace
  | 'host-netns' // it is the host's own namespace, where no container lives
  | 'enter-failed' // setns(2) into the target refused
  | 'invalid-name' // a namespace name or sysctl key that fails validation
  | 'exists' // a named namespace that is already there
  | 'command-failed' // `ip netns` failed
  | 'sysctl-missing' // no such sysctl (e.g. an interface that is not there, IPv6 disabled)
  | 'sysctl-failed'; // a sysctl file could not be read or written

declare module '../system/failure.js' {
  interface FailureReasons {
    netns: NetnsReason;
  }
}

export class NetnsError extends Failure<'netns', NetnsReason> {
  constructor(reason: NetnsReason, msg: string, details = '', options?: ErrorOptions) {
    super('netns', reason, msg, details, options);
    this.name = 'NetnsError';
  }
}

export function isNetnsError(e: unknown, reason?: NetnsReason): e is NetnsError {
  return e instanceof NetnsError && (reason === undefined || e.reason === reason);
}

/** The namespace path does not exist (e.g. the runtime already removed it before DEL). */
export function isNetnsNotFound(e: unknown): e is NetnsError {
  return isNetnsError(e, 'not-found');
}

/** The errno code (`ENOENT`, ...) of a Node fs error, if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
