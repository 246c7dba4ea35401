// The lock systemd-nspawn takes while it creates a zone bridge or removes an empty one: an
// exclusive open-file-description lock on /run/systemd/nspawn-network-zone (systemd's
// make_lock_file: fcntl F_OFD_SETLKW, seen with strace on nspawn 252). flock(2) locks do not
// exclude OFD locks, so lib/ipam's withLock (host-local's flock) cannot serve here.
// nspawn unlinks the file when it lets go, and a lock on an unlinked file excludes no one:
// after locking, the path must still name the locked file (systemd checks the same).
// The lock is tried without blocking and retried with a short backoff, as withLock does.
import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { requireNative } from '../libc/native.js';

const F_OFD_SETLK = 37;
const F_WRLCK = 1;
const EAGAIN = 11;
const EACCES = 13;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 16;

/** Try an exclusive OFD lock on the whole file; 0 or the errno. */
type TryOfdLock = (fd: number) => number;

let tryOfdLock: TryOfdLock | undefined;

function loadTryOfdLock(): TryOfdLock {
  if (tryOfdLock) return tryOfdLock;
  const koffi = requireNative<typeof import('koffi')>('koffi');
  const fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, ...)');
  const flockStruct = koffi.pointer(koffi.struct({ l_type: 'short', l_whence: 'short', l_start: 'int64', l_len: 'int64', l_pid: 'int' }));
  // l_pid must be 0 for OFD locks; l_start 0 and l_len 0 cover the whole file.
  const whole = { l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 0, l_pid: 0 };
  tryOfdLock = (fd) => ((fcntl(fd, F_OFD_SETLK, flockStruct, whole) as number) === 0 ? 0 : koffi.errno());
  return tryOfdLock;
}

/** Run `fn` holding the exclusive OFD lock on `path` (created if missing); code 11 after the timeout. */
export async function withOfdLock<T>(path: string, fn: () => Promise<T>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const tryLock = loadTryOfdLock();
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    const fd = openLockFile(path);
    try {
      const errno = tryLock(fd);
      if (errno !== 0 && errno !== EAGAIN && errno !== EACCES) {
        throw new CniError(ErrorCode.IoFailure, `cannot lock ${path}`, `fcntl(F_OFD_SETLK) failed: errno ${errno}`);
      }
      // Closing the only descriptor of the open file description releases the lock.
      if (errno === 0 && isStillLinked(path, fd)) return await fn();
    } finally {
      closeSync(fd);
    }
    if (Date.now() >= deadline) {
      throw new CniError(ErrorCode.TryAgainLater, `timed out waiting for the lock on ${path}`, 'systemd-nspawn or another ADD holds it; try again later');
    }
    await new Promise((resolve) => setTimeout(resolve, backoff * (0.5 + Math.random())));
  }
}

function openLockFile(path: string): number {
  try {
    return openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot open lock file ${path}`, (e as Error).message);
  }
}

function isStillLinked(path: string, fd: number): boolean {
  const byPath = statSync(path, { throwIfNoEntry: false });
  const byFd = fstatSync(fd);
  return byPath !== undefined && byPath.ino === byFd.ino && byPath.dev === byFd.dev;
}
