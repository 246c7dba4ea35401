// Running one process and keeping everything it said: exit code, stdout, stderr, whether it
// timed out. The harness judges plugins by exactly these, so nothing here throws for a
// failing process; only a process that cannot start at all is reported as `failure`. The
// process itself is lib/system/process.ts's, in a group of its own so that a timeout also
// ends what it started.
import { isProcessError, type ProcessOptions, type ProcessResult, runProcess } from '../lib/system/process.js';

export type { ProcessOptions };

export interface ProcessOutcome extends ProcessResult {
  /** Why the process could not be started, when it could not. */
  failure: string | undefined;
  durationMs: number;
}

/** Run `file args` (default timeout: lib/system/process.ts's); resolves however it ends. */
export async function runOutcome(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessOutcome> {
  const started = performance.now();
  try {
    const result = await runProcess(file, args, { ...options, processGroup: true });
    return { ...result, failure: undefined, durationMs: performance.now() - started };
  } catch (e) {
    if (!isProcessError(e)) throw e;
    const durationMs = performance.now() - started;
    return { exitCode: undefined, signal: undefined, stdout: '', stderr: '', timedOut: false, failure: e.details, durationMs };
  }
}

/** A one-line description of how a process ended, for reasons in the report. */
export function describeOutcome(outcome: ProcessOutcome): string {
  if (outcome.failure) return `could not run: ${outcome.failure}`;
  if (outcome.timedOut) return 'timed out';
  if (outcome.exitCode === undefined) return `killed by ${outcome.signal ?? 'a signal'}`;
  const said = (outcome.stdout.trim() || outcome.stderr.trim()).replace(/\s+/g, ' ');
  return `exit ${outcome.exitCode}${said ? `: ${said.slice(0, 300)}` : ''}`;
}
