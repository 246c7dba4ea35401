// Forwarding on the host side, only for the families a zone uses and only when it is off:
// writing a sysctl that already holds the value would still be a change to audit for nothing.
import { readSysctl, writeSysctl } from '../netns/sysctl.js';

const KEYS = { 4: 'net.ipv4.ip_forward', 6: 'net.ipv6.conf.all.forwarding' } as const;

/** All or nothing: when one family cannot be switched on, the ones this call switched go off again. */
export async function enableForwarding(families: Iterable<4 | 6>): Promise<void> {
  const switched: string[] = [];
  try {
    for (const family of new Set(families)) {
      if ((await readSysctl(KEYS[family])) === '1') continue;
      await writeSysctl(KEYS[family], 1);
      switched.push(KEYS[family]);
    }
  } catch (e) {
    for (const key of switched) await writeSysctl(key, 0).catch(() => undefined);
    throw e;
  }
}
