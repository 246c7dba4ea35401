// Typed failures of namespace handling. They are CniErrors, so a plugin can hand them to the
// runtime as they are; `problem` lets callers react without parsing messages (a DEL treats
// a namespace that is already gone as done).

import { CniError, ErrorCode, type ErrorCodeValue } from '../cni/errors.js';

export type NetnsProblem =
  | 'not-found' // the path does not exist
  | 'not-netns' // it exists but is not a network namespace
  | 'host-netns' // it is the host's own namespace, where no container lives
  | 'enter-failed' // setns(2) into the target refused
  | 'invalid-name' // a namespace name or sysctl key that fails validation
  | 'exists' // a named namespace that is already there
  | 'command-failed' // `ip netns` failed
  | 'sysctl-missing' // no such sysctl (e.g. an interface that is not there, IPv6 disabled)
  | 'sysctl-failed'; // a sysctl file could not be read or written

const codeByProblem: Record<NetnsProblem, ErrorCodeValue> = {
  'not-found': ErrorCode.InvalidEnvironment,
  'not-netns': ErrorCode.InvalidEnvironment,
  'host-netns': ErrorCode.InvalidEnvironment,
  'enter-failed': ErrorCode.IoFailure,
  'invalid-name': ErrorCode.InvalidNetworkConfig,
  exists: ErrorCode.Internal,
  'command-failed': ErrorCode.Internal,
  'sysctl-missing': ErrorCode.IoFailure,
  'sysctl-failed': ErrorCode.IoFailure,
};

export class NetnsError extends CniError {
  constructor(
    readonly problem: NetnsProblem,
    msg: string,
    details = '',
  ) {
    super(codeByProblem[problem], msg, details);
    this.name = 'NetnsError';
  }
}

export function isNetnsError(e: unknown, problem?: NetnsProblem): e is NetnsError {
  return e instanceof NetnsError && (problem === undefined || e.problem === problem);
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
