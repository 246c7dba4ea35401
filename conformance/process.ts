// Running one process and keeping everything it said: exit code, stdout, stderr, whether it
// timed out. The harness judges plugins by exactly these, so nothing here throws for a
// failing process; only a process that cannot start at all is reported as `failure`.
import { spawn } from 'node:child_process';

export interface ProcessOutcome {
  /** undefined when the process did not exit by itself (killed, or never started). */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why the process could not be started, when it could not. */
  failure: string | undefined;
  durationMs: number;
}

export interface ProcessOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  timeoutMs?: number;
}

export const DEFAULT_PROCESS_TIMEOUT_MS = 30_000;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Run `file args`, in a process group of its own so that a timeout also ends what it started. */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessOutcome> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let failure: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // the process may exit before reading its input
    child.on('error', (e) => {
      failure = e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: failure === undefined ? (code ?? undefined) : undefined,
        signal: signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        failure,
        durationMs: performance.now() - started,
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A one-line description of how a process ended, for reasons in the report. */
export function describeOutcome(outcome: ProcessOutcome): string {
  if (outcome.failure) return `could not run: ${outcome.failure}`;
  if (outcome.timedOut) return 'timed out';
  if (outcome.exitCode === undefined) return `killed by ${outcome.signal ?? 'a signal'}`;
  const said = (outcome.stdout.trim() || outcome.stderr.trim()).replace(/\s+/g, ' ');
  return `exit ${outcome.exitCode}${said ? `: ${said.slice(0, 300)}` : ''}`;
}
