// An exclusive flock(2) on a file around an async function: the lock host-local takes on
// <store>/lock (and systemd-nspawn on /run/systemd/nspawn-network-zone), so our processes,
// theirs and several of ours exclude each other. flock is tried without blocking and retried
// with a short backoff: a blocking call through koffi would stall Node's event loop, and
// with it every other lock holder in the same process. File calls are synchronous: they take
// microseconds, and node:fs/promises alone costs a plugin start ~2 ms.
import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { CniError, ErrorCode } from '../cni/errors.js';
import { EWOULDBLOCK, LibcError, loadLibc, LOCK_EX, LOCK_NB, LOCK_UN, type Libc } from '../libc/index.js';

export interface LockOptions {
  /** Give up after this long with code 11 (try again later). Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 16;

/** Run `fn` while holding an exclusive flock on `path` (created if missing). */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const libc = await loadLibc();
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    const fd = openLockFile(path);
    let locked = false;
    try {
      locked = tryLock(libc, fd, path);
      // A lock file its owner unlinked on release (systemd does) no longer excludes anyone.
      if (locked && isStillLinked(path, fd)) return await fn();
    } finally {
      // Closing releases the lock anyway; neither step may hide fn's own error.
      if (locked) unlockQuietly(libc, fd);
      closeQuietly(fd);
    }
    if (Date.now() >= deadline) {
      throw new CniError(ErrorCode.TryAgainLater, `timed out waiting for the lock on ${path}`, 'another process holds it; try again later');
    }
    await sleep(backoff * (0.5 + Math.random()));
  }
}

function openLockFile(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o600);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot open lock file ${path}`, (e as Error).message);
  }
}

function tryLock(libc: Libc, fd: number, path: string): boolean {
  try {
    libc.flock(fd, LOCK_EX | LOCK_NB);
    return true;
  } catch (e) {
    if (e instanceof LibcError && e.errno === EWOULDBLOCK) return false;
    throw new CniError(ErrorCode.IoFailure, `cannot lock ${path}`, (e as Error).message);
  }
}

function unlockQuietly(libc: Libc, fd: number): void {
  try {
    libc.flock(fd, LOCK_UN);
  } catch {
    // the close that follows releases it
  }
}

function isStillLinked(path: string, fd: number): boolean {
  const byPath = statSync(path, { throwIfNoEntry: false });
  const byFd = fstatSync(fd);
  return byPath !== undefined && byPath.ino === byFd.ino && byPath.dev === byFd.dev;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing left to release
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
