// enableForwarding against a stand-in for the sysctls: nothing here touches a real one.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const sysctls = new Map<string, string>();
const failing = new Set<string>();

vi.mock('../../../lib/netns/sysctl.js', () => ({
  readSysctl: async (key: string) => sysctls.get(key) ?? '0',
  writeSysctl: async (key: string, value: number) => {
    if (failing.has(key)) throw new Error(`cannot write ${key}`);
    sysctls.set(key, String(value));
  },
}));

const { enableForwarding } = await import('../../../lib/zone/forwarding.js');

beforeEach(() => {
  sysctls.clear();
  failing.clear();
});

describe('enableForwarding', () => {
  it('switches on what a zone uses, once', async () => {
    await enableForwarding([4, 6, 4]);
    expect(Object.fromEntries(sysctls)).toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1' });
  });

  it('switches back off what it switched when another family fails, so a failed ADD leaves none on', async () => {
    failing.add('net.ipv6.conf.all.forwarding');
    await expect(enableForwarding([4, 6])).rejects.toThrow(/cannot write/);
    expect(sysctls.get('net.ipv4.ip_forward')).toBe('0');
  });

  it('leaves alone what was on before', async () => {
    sysctls.set('net.ipv4.ip_forward', '1');
    failing.add('net.ipv6.conf.all.forwarding');
    await expect(enableForwarding([4, 6])).rejects.toThrow();
    expect(sysctls.get('net.ipv4.ip_forward')).toBe('1');
  });
});
