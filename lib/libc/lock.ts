// An exclusive lock on a file around an async function, of one of two kinds that do not
// exclude each other, so each lock is taken the way its other holders take it:
// - 'flock': flock(2), the lock host-local takes on <store>/lock, so our IPAM and theirs
//   (and several of ours) exclude each other.
// - 'ofd': an fcntl F_OFD_SETLK open-file-description lock, the one systemd-nspawn 252 takes
//   on /run/systemd/nspawn-network-zone while it creates or removes a zone bridge (systemd's
//   make_lock_file, seen with strace).
// The lock is tried without blocking and retried with a short backoff: a blocking call through
// koffi would stall Node's event loop, and with it every other lock holder in the process.
// systemd unlinks its lock file on release, and a lock on an unlinked file excludes no one:
// after locking, the path must still name the locked file (systemd checks the same).
// File calls are synchronous: they take microseconds, and node:fs/promises alone costs a
// plugin start ~2 ms.
import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { CniError, ErrorCode } from '../cni/errors.js';
import { EACCES, EAGAIN, EWOULDBLOCK, LibcError, loadLibc, LOCK_EX, LOCK_NB, LOCK_UN, type Libc } from './index.js';
import { waitLimit } from '../system/budget.js';

export type LockKind = 'flock' | 'ofd';

export interface FileLockOptions {
  kind: LockKind;
  /** Give up after this long with code 11 (try again later). Default 30 s, less when the call's budget has less left. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 16;

/** Run `fn` while holding an exclusive lock of `kind` on `path` (created if missing). */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T, options: FileLockOptions): Promise<T> {
  const libc = await loadLibc();
  const deadline = Date.now() + waitLimit(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    const fd = openLockFile(path, options.kind);
    let locked = false;
    try {
      locked = tryLock(libc, fd, path, options.kind);
      // A lock file its owner unlinked on release no longer excludes anyone.
      if (locked && isStillLinked(path, fd)) return await fn();
    } finally {
      // Closing our only descriptor releases either kind of lock; neither step may hide fn's error.
      if (locked && options.kind === 'flock') unlockQuietly(libc, fd);
      closeQuietly(fd);
    }
    if (Date.now() >= deadline) {
      throw new CniError(ErrorCode.TryAgainLater, `timed out waiting for the lock on ${path}`, 'another process holds it; try again later');
    }
    await sleep(backoff * (0.5 + Math.random()));
  }
}

// A lock file is only ever a regular file we open ourselves: a symlink planted at its path
// (O_NOFOLLOW: ELOOP) must not lead us to create or lock its target, and a FIFO must not
// block the open (O_NONBLOCK, which means nothing to a regular file or to either lock).
function openLockFile(path: string, kind: LockKind): number {
  // An OFD write lock needs a descriptor open for writing.
  const access = kind === 'ofd' ? constants.O_RDWR : constants.O_RDONLY;
  let fd: number;
  try {
    fd = openSync(path, access | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ELOOP' ? 'it is a symbolic link' : (e as Error).message;
    throw new CniError(ErrorCode.IoFailure, `refusing lock file ${path}`, reason);
  }
  if (!fstatSync(fd).isFile()) {
    closeQuietly(fd);
    throw new CniError(ErrorCode.IoFailure, `refusing lock file ${path}`, 'it is not a regular file');
  }
  return fd;
}

/** True when locked, false when someone else holds the lock. */
function tryLock(libc: Libc, fd: number, path: string, kind: LockKind): boolean {
  try {
    if (kind === 'flock') libc.flock(fd, LOCK_EX | LOCK_NB);
    else libc.ofdLock(fd);
    return true;
  } catch (e) {
    if (e instanceof LibcError && isContended(kind, e.errno)) return false;
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

function isContended(kind: LockKind, errno: number): boolean {
  return kind === 'flock' ? errno === EWOULDBLOCK : errno === EAGAIN || errno === EACCES;
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
