// The few libc calls Node does not offer, through koffi: flock(2) (interoperates with the
// locks host-local and systemd-nspawn take) and setns(2) (enter a network namespace).
// koffi is loaded on first use, so a plugin start that never needs libc does not pay for it.
import { requireNative } from './native.js';

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const CLONE_NEWNET = 0x40000000;
export const EWOULDBLOCK = 11;

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
    };
    const check = (call: string, rc: number) => {
      if (rc !== 0) throw new LibcError(call, koffi.errno());
    };
    return {
      flock: (fd, operation) => check('flock', raw.flock(fd, operation)),
      setns: (fd, nstype) => check('setns', raw.setns(fd, nstype)),
    };
  })();
  return loading;
}
