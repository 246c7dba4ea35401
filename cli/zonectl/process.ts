// Programs zonectl's demo keeps running in the background (dbus, networkd, the machines): each
// in a process group of its own, stopped as a whole. Programs run to completion go through
// lib/system/process.ts.
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { killProcessGroup } from '../../lib/system/process.js';

export interface Background {
  readonly child: ChildProcess;
  /** Resolves with the exit code (undefined after a signal) once it has ended. */
  readonly exited: Promise<number | undefined>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** Start a long-running program in its own process group. */
export function startBackground(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions } = {},
): Background {
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
        killProcessGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => killProcessGroup(child.pid, 'SIGKILL'), graceMs);
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
