// How zonectl fails: a usage error (exit 2) names the help to read; any other failure says
// what went wrong, the details, and what to do about it.
import { asCniError, type CniError, ErrorCode, isCniError } from '../../lib/cni/errors.js';
import { isNetnsError } from '../../lib/netns/errors.js';
import { NetworkNotFoundError } from '../../lib/runtime/conf-dir.js';
import { Failure } from '../../lib/system/failure.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly fix = '',
    readonly details = '',
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

// What to do about CNI errors whose cause is usually the same on a machine running zonectl.
const FIX_BY_CODE: Readonly<Record<number, string>> = {
  [ErrorCode.PluginNotAvailable]: 'install the plugins with "zonectl install", or point --cni-path at the directory that holds them',
  [ErrorCode.TryAgainLater]: 'systemd-networkd is busy or restarting: try again in a moment',
};

const PERMISSION = /\b(EACCES|EPERM)\b|permission denied|operation not permitted/i;

/** What to do about a CNI error: its own fix where one is known, else the usual one for its code. */
function fixFor(e: CniError): string | undefined {
  if (e instanceof NetworkNotFoundError) return networkNotFoundFix(e);
  if (PERMISSION.test(`${e.message} ${e.details}`))
    return 'this needs root: run zonectl as root (sudo), or point the directory options at writable places';
  if (isNetnsError(e.cause, 'command-failed')) return 'named network namespaces need root and iproute2: run as root with "ip" installed';
  return FIX_BY_CODE[e.code];
}

function networkNotFoundFix(e: NetworkNotFoundError): string {
  return `put a conflist named "${e.network}" into ${e.dir}, pick another with --network, or point --conf-dir elsewhere ("zonectl install" writes the example network "cni-zones")`;
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `  ${line}`);
}

/** The lines to print on stderr for a failure, and the exit code. */
export function describeFailure(e: unknown): { lines: string[]; exitCode: number } {
  if (e instanceof UsageError) return { lines: [`zonectl: ${e.message}`, `  ${e.fix}`], exitCode: EXIT_USAGE };
  if (e instanceof CommandError) {
    return {
      lines: [`zonectl: ${e.message}`, ...(e.details ? indent(e.details) : []), ...(e.fix ? [`  fix: ${e.fix}`] : [])],
      exitCode: EXIT_FAILURE,
    };
  }
  if (isCniError(e) || e instanceof Failure) {
    const error = asCniError(e);
    const fix = fixFor(error);
    return {
      lines: [
        `zonectl: ${error.message} (CNI error ${error.code})`,
        ...(error.details ? indent(error.details) : []),
        ...(fix ? [`  fix: ${fix}`] : []),
      ],
      exitCode: EXIT_FAILURE,
    };
  }
  const error = e instanceof Error ? e : new Error(String(e));
  return { lines: [`zonectl: ${error.message}`], exitCode: EXIT_FAILURE };
}
