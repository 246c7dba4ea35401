// The libc calls Node and Bun do not offer, through the FFI port (lib/libc/ffi.ts):
// flock(2) (the lock host-local takes), fcntl(2) F_OFD_SETLK (the open-file-description lock
// systemd-nspawn takes), setns(2) (enter a network namespace), and the socket calls that
// rtnetlink and ctnetlink need (socket, bind, setsockopt, send, recv), listen(2) for the [::1]
// listeners handed to proxies (lib/proxy), and memfd_create(2) (an
// anonymous file to hand libnftables its input by path).
// libc is bound on first use, so a plugin start that never needs it does not pay for it.
import { lastErrno, openLibrary } from './ffi.js';

export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const CLONE_NEWNET = 0x40000000;
export const MFD_CLOEXEC = 1;
const EINTR = 4;
export const EWOULDBLOCK = 11;
export const EAGAIN = 11;
export const EACCES = 13;
export const EADDRINUSE = 98;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;

export const AF_NETLINK = 16;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_RCVTIMEO = 20;
export const SOL_NETLINK = 270;

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
  /** A new socket descriptor. */
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Uint8Array): void;
  listen(fd: number, backlog: number): void;
  setsockopt(fd: number, level: number, option: number, value: Uint8Array): void;
  /** Bytes sent. */
  send(fd: number, data: Uint8Array, flags?: number): number;
  /** Bytes received into `buffer`; a receive timeout (SO_RCVTIMEO) is a LibcError with EAGAIN. */
  recv(fd: number, buffer: Uint8Array, flags?: number): number;
  close(fd: number): void;
  /** A new descriptor of an anonymous in-memory file, readable again through /proc/self/fd/N. */
  memfdCreate(name: string, flags: number): number;
  /** alarm(2): SIGALRM after `seconds` (0 cancels). */
  alarm(seconds: number): void;
}

const signatures = {
  flock: { args: ['i32', 'i32'], returns: 'i32' },
  setns: { args: ['i32', 'i32'], returns: 'i32' },
  // fcntl is variadic; its third argument is passed like a fixed pointer argument on the ABIs we run on.
  fcntl: { args: ['i32', 'i32', 'buffer'], returns: 'i32' },
  socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
  bind: { args: ['i32', 'buffer', 'u32'], returns: 'i32' },
  listen: { args: ['i32', 'i32'], returns: 'i32' },
  setsockopt: { args: ['i32', 'i32', 'i32', 'buffer', 'u32'], returns: 'i32' },
  send: { args: ['i32', 'buffer', 'usize', 'i32'], returns: 'isize' },
  recv: { args: ['i32', 'buffer', 'usize', 'i32'], returns: 'isize' },
  close: { args: ['i32'], returns: 'i32' },
  memfd_create: { args: ['string', 'u32'], returns: 'i32' },
  alarm: { args: ['u32'], returns: 'i32' },
} as const;

/** struct flock for an exclusive lock on the whole file; l_pid must be 0 for OFD locks. */
function wholeFileWriteLock(): Uint8Array {
  const lock = Buffer.alloc(32); // short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
  lock.writeInt16LE(F_WRLCK, 0);
  return lock;
}

let libc: Libc | undefined;

/** libc, bound on first call. */
export function getLibc(): Libc {
  if (libc) return libc;
  const raw = openLibrary('libc.so.6', signatures);
  const check = (call: string, rc: number): number => {
    if (rc < 0) throw new LibcError(call, lastErrno());
    return rc;
  };
  // A signal may interrupt a blocking call; the call is simply made again.
  const retrying = (call: string, fn: () => number): number => {
    for (;;) {
      const rc = fn();
      if (rc >= 0) return rc;
      const errno = lastErrno();
      if (errno !== EINTR) throw new LibcError(call, errno);
    }
  };
  libc = {
    flock: (fd, operation) => void check('flock', raw.flock(fd, operation)),
    ofdLock: (fd) => void check('fcntl(F_OFD_SETLK)', raw.fcntl(fd, F_OFD_SETLK, wholeFileWriteLock())),
    setns: (fd, nstype) => void check('setns', raw.setns(fd, nstype)),
    socket: (domain, type, protocol) => check('socket', raw.socket(domain, type, protocol)),
    bind: (fd, address) => void check('bind', raw.bind(fd, address, address.byteLength)),
    listen: (fd, backlog) => void check('listen', raw.listen(fd, backlog)),
    setsockopt: (fd, level, option, value) => void check('setsockopt', raw.setsockopt(fd, level, option, value, value.byteLength)),
    send: (fd, data, flags = 0) => retrying('send', () => raw.send(fd, data, data.byteLength, flags)),
    recv: (fd, buffer, flags = 0) => retrying('recv', () => raw.recv(fd, buffer, buffer.byteLength, flags)),
    close: (fd) => void check('close', raw.close(fd)),
    memfdCreate: (name, flags) => check('memfd_create', raw.memfd_create(name, flags)),
    alarm: (seconds) => void raw.alarm(seconds),
  };
  return libc;
}

/** getLibc for callers that were written against the asynchronous loader. */
export function loadLibc(): Promise<Libc> {
  try {
    return Promise.resolve(getLibc());
  } catch (e) {
    return Promise.reject(e);
  }
}
