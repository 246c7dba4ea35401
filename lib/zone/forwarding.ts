// Forwarding on the host side, only for the families a zone uses and only when it is off:
// writing a sysctl that already holds the value would still be a change to audit for nothing.
import { readSysctl, writeSysctl } from '../netns/sysctl.js';

const KEYS = { 4: 'net.ipv4.ip_forward', 6: 'net.ipv6.conf.all.forwarding' } as const;

export async function enableForwarding(families: Iterable<4 | 6>): Promise<void> {
  for (const family of new Set(families)) {
    if ((await readSysctl(KEYS[family])) !== '1') await writeSysctl(KEYS[family], 1);
  }
}
