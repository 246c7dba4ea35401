// Running one program to completion, the one way the project does it: arguments, environment,
// stdin, a working directory, and always a timeout, after which it is killed with SIGKILL (with
// `processGroup`, it runs in a group of its own and the whole group is killed, so what it started
// goes too). Everything it printed is kept. A program that cannot start, or (runChecked) that
// fails, is a ProcessError with a `reason` (a Failure, lib/system/failure.ts); what that means
// for the caller (an NftError, a line of a report) is the caller's to say, and the CNI code of
// one that reaches a runtime as it is, lib/cni/errors.ts's.
// node:child_process is imported when a program is first run, not with this module: plugins
// load it on every start (lib/cni/exec.ts) and most starts never run a program.

import { Failure } from './failure.js';

const DEFAULT_PROCESS_TIMEOUT_MS = 30_000;

export interface ProcessOptions {
  /** The whole environment of the program (default: ours). */
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  cwd?: string;
  /** Killed after this long (default DEFAULT_PROCESS_TIMEOUT_MS); 0 kills it at once. */
  timeoutMs?: number;
  /** Run it in a process group of its own, killed as a whole on timeout. */
  processGroup?: boolean;
}

export interface ProcessResult {
  /** undefined when it was killed by a signal (as on timeout). */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * - `not-found`: the program (or the working directory) does not exist
 * - `spawn-failed`: it could not be started for another reason (permissions, a bad argument)
 * - `timeout`: runChecked: it did not finish in time and was killed
 * - `failed`: runChecked: it exited non-zero or was killed by a signal
 */
export type ProcessReason = 'not-found' | 'spawn-failed' | 'timeout' | 'failed';

declare module './failure.js' {
  interface FailureReasons {
    process: ProcessReason;
  }
}

export class ProcessError extends Failure<'process', ProcessReason> {
  constructor(
    reason: ProcessReason,
    message: string,
    /** The system's words for a start failure, or the end of the program's output. */
    details: string,
    /** What it did, when it ran at all. */
    readonly result?: ProcessResult,
    options?: ErrorOptions,
  ) {
    super('process', reason, message, details, options);
    this.name = 'ProcessError';
  }
}

export function isProcessError(e: unknown, reason?: ProcessReason): e is ProcessError {
  return e instanceof ProcessError && (reason === undefined || e.reason === reason);
}

/** Send `signal` to the process group led by `pid`; quietly nothing when it is gone. */
export function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

function startFailure(file: string, error: unknown): ProcessError {
  const why = error instanceof Error ? error.message : String(error);
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'spawn-failed';
  return new ProcessError(reason, `cannot run ${file}: ${why}`, why, undefined, { cause: error });
}

/** Run `file args` to its end; resolves whatever its exit, rejects (ProcessError) only when it cannot start. */
export async function runProcess(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        env: options.env,
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: options.processGroup === true,
      });
    } catch (e) {
      reject(startFailure(file, e));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (options.processGroup) killProcessGroup(child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
      // What it started may have left the group and still hold the pipes: stop waiting for them.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, options.timeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.stdin?.on('error', () => {}); // it may exit before reading all of its input
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(startFailure(file, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}

/** runProcess that resolves with stdout only on exit 0; otherwise a ProcessError naming the command and its last words. */
export async function runChecked(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<string> {
  const result = await runProcess(file, args, options);
  if (result.exitCode === 0 && !result.timedOut) return result.stdout;
  const command = [file, ...args].join(' ');
  const how = result.timedOut
    ? `timed out after ${options.timeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS} ms`
    : result.exitCode === undefined
      ? `was killed by ${result.signal ?? 'a signal'}`
      : `exited with code ${result.exitCode}`;
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
  throw new ProcessError(result.timedOut ? 'timeout' : 'failed', `${command} ${how}${output ? `: ${output}` : ''}`, output, result);
}

export interface DetachedOptions {
  /** The whole environment of the program. */
  env: NodeJS.ProcessEnv;
  /** Descriptors it gets as 3, 4, ... (stdin, stdout and stderr are /dev/null). */
  passFds?: readonly number[];
  /** Its argv[0], when not `file` (a multi-call executable picks its role by it). */
  argv0?: string;
}

/**
 * Start a program that outlives us: in a session of its own (the caller's process group, and
 * signals to it, do not reach it), not waited for. Resolves with its pid once it runs.
 */
export async function startDetached(file: string, args: readonly string[], options: DetachedOptions): Promise<number> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        stdio: ['ignore', 'ignore', 'ignore', ...(options.passFds ?? [])],
        detached: true,
        env: options.env,
        ...(options.argv0 !== undefined && { argv0: options.argv0 }),
      });
    } catch (e) {
      reject(startFailure(file, e));
      return;
    }
    child.unref();
    child.once('error', (e) => reject(startFailure(file, e)));
    child.once('spawn', () => resolve(child.pid as number));
  });
}
