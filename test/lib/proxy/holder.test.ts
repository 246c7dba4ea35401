import { describe, expect, it } from 'vitest';
import { listeningInodes } from '../../../lib/proxy/holder.js';
import { proxydTarget } from '../../../lib/proxy/process.js';

const header =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const line = (local: string, state: string, inode: number) =>
  `   0: ${local} 00000000000000000000000000000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;

describe('listeningInodes', () => {
  it('finds listeners on [::1] and on every IPv6 address at the port, and nothing else', () => {
    const tcp6 = [
      header,
      line('00000000000000000000000001000000:1F90', '0A', 101), // [::1]:8080 listening
      line('00000000000000000000000000000000:1F90', '0A', 102), // [::]:8080 listening
      line('00000000000000000000000001000000:1F91', '0A', 103), // [::1]:8081
      line('00000000000000000000000001000000:1F90', '01', 104), // [::1]:8080 established
      line('B80D0120000000000000000001000000:1F90', '0A', 105), // [2001:db8::1]:8080
    ].join('\n');
    expect(listeningInodes(tcp6, 8080)).toEqual([101, 102]);
    expect(listeningInodes(header, 8080)).toEqual([]);
  });
});

describe('proxydTarget', () => {
  it('passes IPv6 addresses bare, as systemd-socket-proxyd splits at the last colon', () => {
    expect(proxydTarget('[fd89::5]:80')).toBe('fd89::5:80');
    expect(proxydTarget('10.89.0.5:8080')).toBe('10.89.0.5:8080');
  });
});
