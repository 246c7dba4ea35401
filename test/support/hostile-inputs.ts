// What a careless or hostile runtime may hand a plugin, and how a plugin must answer it: paths
// that are no container namespace (the host's own by several names, a FIFO, a socket, a file,
// a directory), a pid namespace in which PID 1 lives in a test "host" namespace, and the one
// acceptable shape of a failure — exactly one CNI error object on stdout with a known code,
// a non-zero exit, no stack trace.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, onTestFinished } from 'vitest';
import { ErrorCode } from '../../lib/cni/errors.js';
import { type Netns, nsExec } from './netns.js';
import { makeTestTempDir } from './paths.js';
import type { PluginOutcome } from './plugin-process.js';

/** Every code a plugin of ours may answer with: the spec's and our own (100+). */
export const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode) as number[]);

export interface CniErrorObject {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** Why `outcome` is not a proper CNI failure, or undefined when it is one. */
export function failureShapeProblem(outcome: PluginOutcome): string | undefined {
  if (outcome.exitCode === undefined) return `the plugin did not exit by itself (${outcome.failure ?? outcome.signal ?? 'killed'})`;
  if (outcome.exitCode === 0) return 'exit code 0';
  const lines = outcome.stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== 1) return `${lines.length} lines on stdout instead of one error object`;
  const json = outcome.json as Partial<CniErrorObject> | undefined;
  if (json === undefined || typeof json !== 'object' || json === null || Array.isArray(json)) return 'stdout is not a JSON object';
  if (!Number.isInteger(json.code) || !KNOWN_CODES.has(json.code as number)) return `unknown code ${JSON.stringify(json.code)}`;
  if (typeof json.msg !== 'string' || json.msg === '') return 'no msg';
  if (typeof json.cniVersion !== 'string') return 'no cniVersion';
  const stack = /^\s+at .+(\(|:\d+)/m;
  if (stack.test(outcome.stderr) || stack.test(outcome.stdout)) return 'a stack trace';
  return undefined;
}

/** `outcome` failed the way the spec says; the error object. */
export function expectProperFailure(outcome: PluginOutcome): CniErrorObject {
  expect(failureShapeProblem(outcome), `${outcome.stdout}${outcome.stderr}`).toBeUndefined();
  return outcome.json as CniErrorObject;
}

export interface HostilePaths {
  readonly dir: string;
  readonly fifo: string;
  readonly socket: string;
  readonly file: string;
  readonly directory: string;
  /** A symlink to /proc/self/ns/net: whoever opens it gets their own namespace. */
  readonly selfLink: string;
}

/** Files of every kind that is no namespace, in a directory removed when the test ends. */
export async function hostilePaths(): Promise<HostilePaths> {
  const dir = makeTestTempDir('hostile');
  const paths: HostilePaths = {
    dir,
    fifo: join(dir, 'fifo'),
    socket: join(dir, 'socket'),
    file: join(dir, 'file'),
    directory: join(dir, 'directory'),
    selfLink: join(dir, 'self-link'),
  };
  execFileSync('mkfifo', [paths.fifo]);
  writeFileSync(paths.file, 'not a namespace\n');
  mkdirSync(paths.directory);
  symlinkSync('/proc/self/ns/net', paths.selfLink);
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
  onTestFinished(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return paths;
}

/** The inode of a namespace file, as `stat -L` in a namespace sees it. */
async function netnsInode(path: string): Promise<string> {
  return (await execa('stat', ['-L', '-c', '%i', path])).stdout.trim();
}

/**
 * `nsenter` options that run a command in a new pid namespace (with its own /proc) whose
 * PID 1 is a shell in `pid1`, and the command itself in `own`. So /proc/1/ns/net is the
 * namespace of `pid1`, never the machine's: checked by running `readlink` the same way first.
 */
export async function pidNamespaceWrapper(pid1: Netns, own: Netns): Promise<string[]> {
  // runPlugin appends `-- EXECUTABLE`: the shell's $0 and $1
  const wrapper = ['--', 'unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', `nsenter --net=${own.path} -- "$1"; exit $?`];
  const { stdout } = await nsExec(pid1, 'unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', 'readlink /proc/1/ns/net; true']);
  const expected = `net:[${await netnsInode(pid1.path)}]`;
  if (stdout.trim() !== expected)
    throw new Error(`in the pid namespace /proc/1/ns/net is ${stdout.trim()}, not ${expected}: refusing to go on`);
  return [`--net=${pid1.path}`, ...wrapper];
}
