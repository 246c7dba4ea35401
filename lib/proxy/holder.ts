// Who listens on a TCP port at [::1]: the socket from /proc/net/tcp6 (our namespace's), the
// process from the descriptors that name its inode. Only read after a bind failed, to name the
// holder in the conflict error; `undefined` parts mean the kernel did not tell us.
import { readdirSync, readlinkSync } from 'node:fs';
import { processEnvironment, readProc } from '../system/proc.js';

export interface Holder {
  pid: number;
  /** /proc/<pid>/comm */
  command: string;
  /** The process's environment, for telling our own proxies (process.ts) by their marker. */
  environment: Map<string, string>;
}

const LISTEN = '0A';
// /proc/net/tcp6 prints an address as four 32-bit words in host (little-endian) order.
const LOOPBACK6_HEX = '00000000000000000000000001000000';
const ANY6_HEX = '00000000000000000000000000000000';

/** The inodes of sockets listening on `port` at ::1 or at every IPv6 address, from /proc/net/tcp6 text. */
export function listeningInodes(tcp6: string, port: number): number[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return tcp6
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const fields = line.trim().split(/\s+/);
      const [address, localPort] = (fields[1] ?? '').split(':');
      const taken = fields[3] === LISTEN && localPort === portHex && (address === LOOPBACK6_HEX || address === ANY6_HEX);
      return taken ? [Number(fields[9])] : [];
    });
}

function holdsSocket(pid: string, socket: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === socket;
    } catch {
      return false;
    }
  });
}

/** The process holding socket `inode`, if any can be seen. */
function processHolding(inode: number): Holder | undefined {
  const socket = `socket:[${inode}]`;
  const pid = readdirSync('/proc').find((name) => /^\d+$/.test(name) && holdsSocket(name, socket));
  if (pid === undefined) return undefined;
  const command = (readProc(`/proc/${pid}/comm`) ?? '?').trim();
  return { pid: Number(pid), command, environment: processEnvironment(Number(pid)) };
}

/** The process listening on tcp/[::1]:port, if it can be found. */
export function findLoopback6Holder(port: number): Holder | undefined {
  for (const inode of listeningInodes(readProc('/proc/net/tcp6') ?? '', port)) {
    const holder = processHolding(inode);
    if (holder !== undefined) return holder;
  }
  return undefined;
}
