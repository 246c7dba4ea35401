// Sockets handed over by systemd socket activation (sd_listen_fds(3)): with LISTEN_PID our pid
// and LISTEN_FDS=n, descriptors 3 … 3+n-1 are open sockets, bound (and, for streams,
// listening) by whoever started us, so a socket unit can hold port 53 while the server
// restarts. Node takes an existing descriptor for a dgram or a net server, but must be told
// the family, and cannot ask the kernel: each descriptor's inode is looked up in the
// namespace's socket tables (/proc/self/net/{udp,udp6,tcp,tcp6}), which also give the address
// it is bound to.
import { fstatSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { formatAddress, type IpFamily } from '../ip/index.js';

export interface InheritedSocket {
  fd: number;
  transport: 'udp' | 'tcp';
  family: IpFamily;
  /** The local address and port it is bound to. */
  address: string;
  port: number;
}

const SD_LISTEN_FDS_START = 3;
const TABLES = [
  { file: 'udp', transport: 'udp', family: 4 },
  { file: 'udp6', transport: 'udp', family: 6 },
  { file: 'tcp', transport: 'tcp', family: 4 },
  { file: 'tcp6', transport: 'tcp', family: 6 },
] as const;

/**
 * The descriptors systemd passed, or none when LISTEN_PID is not `pid` (they were meant for
 * another process). Throws when one is not a UDP or TCP socket of this namespace.
 */
export function inheritedSockets(
  env: NodeJS.ProcessEnv,
  pid: number,
  readTable: (file: string) => string = (file) => readFileSync(`/proc/self/net/${file}`, 'utf8'),
  inodeOf: (fd: number) => number = (fd) => fstatSync(fd).ino,
): InheritedSocket[] {
  if (env.LISTEN_PID === undefined || env.LISTEN_FDS === undefined) return [];
  if (!/^\d+$/.test(env.LISTEN_PID) || Number(env.LISTEN_PID) !== pid) return [];
  if (!/^\d{1,4}$/.test(env.LISTEN_FDS)) throw new Error(`LISTEN_FDS=${JSON.stringify(env.LISTEN_FDS)} is not a count of descriptors`);
  const count = Number(env.LISTEN_FDS);
  if (count === 0) return [];
  const byInode = new Map<number, Omit<InheritedSocket, 'fd'>>();
  for (const table of TABLES) {
    let text = '';
    try {
      text = readTable(table.file);
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const row of parseSocketTable(text)) byInode.set(row.inode, { transport: table.transport, family: table.family, ...row.local });
  }
  const sockets: InheritedSocket[] = [];
  for (let fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; fd++) {
    let inode: number;
    try {
      inode = inodeOf(fd);
    } catch (e) {
      throw new Error(`descriptor ${fd} of LISTEN_FDS=${count} is not open: ${(e as Error).message}`);
    }
    const socket = byInode.get(inode);
    if (!socket) throw new Error(`descriptor ${fd} of LISTEN_FDS=${count} is not a UDP or TCP socket of this network namespace`);
    sockets.push({ fd, ...socket });
  }
  return sockets;
}

/** The rows of /proc/net/{udp,tcp}[6]: each socket's inode and local address. */
export function parseSocketTable(text: string): { inode: number; local: { address: string; port: number } }[] {
  const rows: { inode: number; local: { address: string; port: number } }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
    const inode = Number(fields[9]);
    if (hexAddress === undefined || hexPort === undefined || !Number.isSafeInteger(inode) || inode === 0) continue;
    const address = kernelAddress(hexAddress);
    if (address !== undefined) rows.push({ inode, local: { address, port: Number.parseInt(hexPort, 16) } });
  }
  return rows;
}

/** The kernel prints an address as 32-bit words in host byte order, each as 8 hex digits. */
function kernelAddress(hex: string, littleEndian = endianness() === 'LE'): string | undefined {
  if ((hex.length !== 8 && hex.length !== 32) || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  let value = 0n;
  for (let i = 0; i < hex.length; i += 8) {
    const word = Buffer.from(hex.slice(i, i + 8), 'hex');
    if (littleEndian) word.reverse();
    value = (value << 32n) | BigInt(word.readUInt32BE(0));
  }
  return formatAddress({ family: hex.length === 8 ? 4 : 6, value });
}
