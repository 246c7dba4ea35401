// The few libc calls Node does not offer, through koffi: flock(2) (the lock host-local
// takes), fcntl(2) F_OFD_SETLK (the open-file-description lock systemd-nspawn takes) and
// setns(2) (enter a network namespace).
// koffi is loaded on first use, so a plugin start that never needs libc does not pay for it.
import { requireNative } from './native.js';

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const CLONE_NEWNET = 0x40000000;
export const EWOULDBLOCK = 11;
export const EAGAIN = 11;
export const EACCES = 13;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;

export class LibcError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: errno ${errno}`);
    this.name = 'LibcError';
  }
}

/** Synchronous libc calls; they throw LibcError on failure. */
export interface Libc {
  flock(fd: number, operation: number): void;
  /** fcntl(fd, F_OFD_SETLK): an exclusive OFD lock on the whole file, without waiting. */
  ofdLock(fd: number): void;
  setns(fd: number, nstype: number): void;
}

let loading: Promise<Libc> | undefined;

export function loadLibc(): Promise<Libc> {
  loading ??= (async () => {
    const koffi = requireNative<typeof import('koffi')>('koffi');
    const lib = koffi.load('libc.so.6');
    const raw = {
      flock: lib.func('int flock(int fd, int operation)') as (fd: number, op: number) => number,
      setns: lib.func('int setns(int fd, int nstype)') as (fd: number, type: number) => number,
      fcntl: lib.func('int fcntl(int fd, int cmd, ...)') as (fd: number, cmd: number, ...args: unknown[]) => number,
    };
    const flockStruct = koffi.pointer(koffi.struct({ l_type: 'short', l_whence: 'short', l_start: 'int64', l_len: 'int64', l_pid: 'int' }));
    // l_pid must be 0 for OFD locks; l_start 0 and l_len 0 cover the whole file.
    const wholeFile = { l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 0, l_pid: 0 };
    const check = (call: string, rc: number) => {
      if (rc !== 0) throw new LibcError(call, koffi.errno());
    };
    return {
      flock: (fd, operation) => check('flock', raw.flock(fd, operation)),
      ofdLock: (fd) => check('fcntl(F_OFD_SETLK)', raw.fcntl(fd, F_OFD_SETLK, flockStruct, wholeFile)),
      setns: (fd, nstype) => check('setns', raw.setns(fd, nstype)),
    };
  })();
  return loading;
}
