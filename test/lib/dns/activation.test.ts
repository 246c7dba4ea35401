// Socket activation: which descriptors are ours, and what each one is, from the kernel's
// socket tables (fed here as text: no socket is opened).
import { describe, expect, it } from 'vitest';
import { inheritedSockets, parseSocketTable } from '../../../lib/dns/activation.js';

// Rows as Linux 6.1 prints them (little-endian words): a UDP socket on 10.89.0.1:53, a TCP
// listener on [fd89::1]:53, a TCP socket on 127.0.0.1:5353.
const tables: Record<string, string> = {
  udp: `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  273: 0100590A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41001 2 0000000000000000 0
`,
  udp6: `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
`,
  tcp: `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:14E9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41003 1 0000000000000000 100 0 0 10 0
`,
  tcp6: `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 000089FD000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41002 1 0000000000000000 100 0 0 10 0
`,
};
const readTable = (file: string) => tables[file] ?? '';
const inodes: Record<number, number> = { 3: 41001, 4: 41002, 5: 41003, 6: 99999 };
const inodeOf = (fd: number) => {
  const inode = inodes[fd];
  if (inode === undefined) throw new Error('EBADF: bad file descriptor');
  return inode;
};

describe('inheritedSockets', () => {
  it('names each passed descriptor’s transport, family and address', () => {
    expect(inheritedSockets({ LISTEN_PID: '42', LISTEN_FDS: '3' }, 42, readTable, inodeOf)).toEqual([
      { fd: 3, transport: 'udp', family: 4, address: '10.89.0.1', port: 53 },
      { fd: 4, transport: 'tcp', family: 6, address: 'fd89::1', port: 53 },
      { fd: 5, transport: 'tcp', family: 4, address: '127.0.0.1', port: 5353 },
    ]);
  });

  it('takes none without the variables, or when they were meant for another process', () => {
    expect(inheritedSockets({}, 42, readTable, inodeOf)).toEqual([]);
    expect(inheritedSockets({ LISTEN_FDS: '1' }, 42, readTable, inodeOf)).toEqual([]);
    expect(inheritedSockets({ LISTEN_PID: '41', LISTEN_FDS: '1' }, 42, readTable, inodeOf)).toEqual([]);
    expect(inheritedSockets({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42, readTable, inodeOf)).toEqual([]);
  });

  it('refuses a count that is not one, a descriptor that is not open or not an IP socket', () => {
    expect(() => inheritedSockets({ LISTEN_PID: '42', LISTEN_FDS: 'x' }, 42, readTable, inodeOf)).toThrow(/not a count/);
    expect(() => inheritedSockets({ LISTEN_PID: '42', LISTEN_FDS: '4' }, 42, readTable, inodeOf)).toThrow(
      /descriptor 6 of LISTEN_FDS=4 is not a UDP or TCP socket/,
    );
    expect(() => inheritedSockets({ LISTEN_PID: '42', LISTEN_FDS: '5' }, 42, readTable, inodeOf)).toThrow(/descriptor 6/);
  });

  it('reads this process’s own tables by default', () => {
    // Our stdin is no socket of the tables; only the shape of the call is checked here.
    expect(inheritedSockets({ LISTEN_PID: String(process.pid), LISTEN_FDS: '0' }, process.pid)).toEqual([]);
  });
});

describe('parseSocketTable', () => {
  it('skips the header, rows without an inode and lines it cannot read', () => {
    expect(parseSocketTable(`header\n   1: 0100007F:0035 00000000:0000 07 0:0 0:0 0 0 0 0 2 0\n garbage\n\n`)).toEqual([]);
    expect(parseSocketTable(tables.udp ?? '')).toEqual([{ inode: 41001, local: { address: '10.89.0.1', port: 53 } }]);
  });
});
