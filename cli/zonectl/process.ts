// Running programs from zonectl without execa (every `zonectl up` in an ExecStartPre would pay
// for loading it): run one and collect its output, or start one in the background and stop it.
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  /** undefined when killed by a signal (e.g. the timeout). */
  code: number | undefined;
  stdout: string;
  stderr: string;
}

export class ProgramError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const how = result.code === undefined ? 'was killed' : `exited with code ${result.code}`;
    const output = (result.stderr || result.stdout).trim();
    super(`${command} ${how}${output ? `: ${output.split('\n').slice(-5).join('\n')}` : ''}`);
    this.name = 'ProgramError';
  }
}

/** Run to completion; never throws for a non-zero exit (see runChecked). */
export function runProgram(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.stdin?.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? undefined, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** Run to completion and throw a ProgramError unless it exits 0; resolves with stdout. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runProgram(command, args, options);
  if (result.code !== 0) throw new ProgramError([command, ...args].join(' '), result);
  return result.stdout;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

export interface Background {
  readonly child: ChildProcess;
  /** Resolves with the exit code (undefined after a signal) once it has ended. */
  readonly exited: Promise<number | undefined>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** Start a long-running program in its own process group. */
export function startBackground(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions } = {}): Background {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: options.stdio ?? 'ignore', detached: true });
  const exited = new Promise<number | undefined>((resolve) => {
    child.on('error', () => resolve(undefined));
    child.on('exit', (code) => resolve(code ?? undefined));
  });
  let stopping: Promise<void> | undefined;
  return {
    child,
    exited,
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** A background program's stdout up to a marker line; rejects when it exits first or time runs out. */
export function readUntil(background: Background, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms${err ? `: ${err.trim()}` : ''}`)), timeoutMs);
    background.child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
    background.child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const at = out.indexOf(`${marker}\n`);
      if (at < 0) return;
      clearTimeout(timer);
      resolve(out.slice(0, at));
    });
    void background.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`it exited with ${code}${err || out ? `: ${(err || out).trim()}` : ''}`));
    });
  });
}
