// Running code inside a network namespace. Node cannot move one thread for good, but the
// main thread can setns(2) in, do synchronous work (open a netlink socket, read a sysctl),
// and setns back: sockets and files opened inside keep their namespace. The window is
// synchronous by construction, and the thread always returns: if returning fails the process
// aborts, because everything after would silently act on the wrong namespace.

import { closeSync, openSync, writeSync } from 'node:fs';
import { CLONE_NEWNET, type Libc, loadLibc } from '../libc/index.js';
import { NetnsError } from './errors.js';
import { CURRENT_NETNS_PATH, type NetnsHandle, openNetns } from './open.js';

/** An open handle, a raw namespace fd, or a path to open (and close again) for the call. */
export type NetnsTarget = NetnsHandle | number | string;

export type SetnsLibc = Pick<Libc, 'setns'>;

function targetFd(target: NetnsHandle | number): number {
  if (typeof target === 'number') return target;
  if (target.closed) throw new NetnsError('enter-failed', `network namespace ${target.path} is closed`);
  return target.fd;
}

function describe(target: NetnsHandle | number): string {
  return typeof target === 'number' ? `fd ${target}` : target.path;
}

function enter(libc: SetnsLibc, target: NetnsHandle | number): void {
  try {
    libc.setns(targetFd(target), CLONE_NEWNET);
  } catch (e) {
    if (e instanceof NetnsError) throw e;
    throw new NetnsError('enter-failed', `cannot enter network namespace ${describe(target)}`, (e as Error).message);
  }
}

function abortInWrongNamespace(cause: unknown): never {
  const reason = cause instanceof Error ? cause.message : String(cause);
  writeSync(2, `fatal: cannot return to the original network namespace (${reason}); aborting\n`);
  process.abort();
}

function returnTo(libc: SetnsLibc, originalFd: number): void {
  try {
    libc.setns(originalFd, CLONE_NEWNET);
  } catch (e) {
    abortInWrongNamespace(e);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Run `fn` synchronously with the calling thread inside `target`, then return to the
 * namespace the thread was in (also when `fn` throws). `fn` must not be async: whatever
 * runs after its first `await` would run in the original namespace.
 */
export function inNetnsSync<T>(libc: SetnsLibc, target: NetnsHandle | number, fn: () => T): T {
  const originalFd = openSync(CURRENT_NETNS_PATH, 'r');
  let result: T;
  try {
    enter(libc, target);
    try {
      result = fn();
    } finally {
      returnTo(libc, originalFd);
    }
  } finally {
    closeSync(originalFd);
  }
  if (isThenable(result)) {
    // The caller never sees this promise; keep its rejection from going unhandled.
    Promise.resolve(result).catch(() => undefined);
    throw new TypeError('inNetns: the function must be synchronous (it returned a promise)');
  }
  return result;
}

/** inNetnsSync after loading libc; a path is opened and validated first, and closed afterwards. */
export async function inNetns<T>(target: NetnsTarget, fn: () => T): Promise<T> {
  if (typeof target !== 'string') return inNetnsSync(await loadLibc(), target, fn);
  const handle = openNetns(target);
  try {
    return inNetnsSync(await loadLibc(), handle, fn);
  } finally {
    handle.close();
  }
}
