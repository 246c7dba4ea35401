// A TCP listener on [::1]:port, bound by us so a port someone else holds is found before any
// change, and handed to the proxy as its socket-activation descriptor (process.ts).
import { fstatSync } from 'node:fs';
import { AF_INET6, EADDRINUSE, getLibc, LibcError, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET } from '../libc/index.js';
import { ProxyError } from './errors.js';

export interface Listener {
  fd: number;
  port: number;
  /** The socket's inode: /proc/net/tcp6 and /proc/<pid>/fd name it. */
  inode: number;
}

const BACKLOG = 4096;

/** struct sockaddr_in6 for [::1]:port. */
function loopbackAddress(port: number): Uint8Array {
  const address = Buffer.alloc(28);
  address.writeUInt16LE(AF_INET6, 0);
  address.writeUInt16BE(port, 2);
  address[23] = 1; // sin6_addr (bytes 8-23) = ::1
  return address;
}

/** Listen on [::1]:port; a port already taken is a ProxyError `in-use`. */
export function listenOnLoopback6(port: number): Listener {
  const libc = getLibc();
  const fd = libc.socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  try {
    // A port in TIME_WAIT from an earlier proxy is free to take again.
    libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, Buffer.from([1, 0, 0, 0]));
    libc.bind(fd, loopbackAddress(port));
    libc.listen(fd, BACKLOG);
    return { fd, port, inode: fstatSync(fd).ino };
  } catch (e) {
    libc.close(fd);
    if (e instanceof LibcError && e.errno === EADDRINUSE) {
      throw new ProxyError('in-use', `tcp/[::1]:${port} is already taken`);
    }
    throw new ProxyError('unavailable', `cannot listen on [::1]:${port}: ${(e as Error).message}`, 'is lo up and IPv6 enabled?', {
      cause: e,
    });
  }
}

/** Whether [::1]:port can be taken now (the systemd path binds it itself, a moment later). */
export function probeLoopback6(port: number): void {
  closeListener(listenOnLoopback6(port));
}

export function closeListener(listener: Listener): void {
  try {
    getLibc().close(listener.fd);
  } catch {
    // closed already
  }
}
