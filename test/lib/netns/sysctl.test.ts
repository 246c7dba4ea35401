// Key validation and reading. Nothing here writes: writes happen only inside test
// namespaces, in test/e2e/netns.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNetnsError } from '../../../lib/netns/errors.js';
import { interfaceSysctl, readSysctl, sysctlPath, writeSysctl, writeSysctls } from '../../../lib/netns/sysctl.js';

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isNetnsError(e) ? e.details : undefined;
  }
  return undefined;
}

describe('sysctlPath', () => {
  it('maps dotted keys and segments to /proc/sys', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
    expect(sysctlPath(['net', 'ipv4', 'conf', 'eth0.5', 'forwarding'])).toBe('/proc/sys/net/ipv4/conf/eth0.5/forwarding');
    expect(sysctlPath(interfaceSysctl('ipv6', 'eth0', 'accept_dad'))).toBe('/proc/sys/net/ipv6/conf/eth0/accept_dad');
  });

  it.each(['kernel.hostname', 'vm.swappiness', 'net', 'net..ip_forward', 'net.ipv4.conf.a/b.forwarding', 'net.ipv4.conf.a b.x'])(
    'rejects %j',
    (key) => {
      expect(() => sysctlPath(key)).toThrow(/invalid sysctl key/);
    },
  );

  it('rejects path tricks in segments', () => {
    expect(problemOf(() => sysctlPath(['net', '..', '..', 'kernel', 'hostname']))).toBe('bad segment ".."');
    expect(problemOf(() => sysctlPath(['net', 'ipv4', 'conf', '.', 'x']))).toBe('bad segment "."');
  });
});

describe('readSysctl', () => {
  it('reads a value in the current namespace without the newline', async () => {
    const raw = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    expect(await readSysctl('net.ipv4.ip_forward')).toBe(raw.trim());
  });

  it('reports a missing key as sysctl-missing', async () => {
    const error = await readSysctl(interfaceSysctl('ipv4', 'czt-nonexistent0', 'forwarding')).catch((e: unknown) => e);
    expect(isNetnsError(error, 'sysctl-missing')).toBe(true);
  });

  it('rejects (never throws synchronously) on a bad key', async () => {
    const pending = readSysctl('kernel.hostname');
    const error = await pending.catch((e: unknown) => e);
    expect(isNetnsError(error, 'invalid-name') && error.details).toBe('only net.* sysctls belong to a namespace');
  });
});

describe('writeSysctl validation', () => {
  // A key that does not exist: had validation come after the write, the error would be sysctl-missing.
  const absent = 'net.ipv4.czt_no_such_setting';

  it('rejects values that are not one printable line before writing', async () => {
    const error = await writeSysctl(absent, '1\n0').catch((e: unknown) => e);
    expect(isNetnsError(error, 'invalid-name')).toBe(true);
  });

  it('validates every entry before writing any', async () => {
    const error = await writeSysctls([
      [absent, 1],
      ['kernel.hostname', 'x'],
    ]).catch((e: unknown) => e);
    expect(isNetnsError(error, 'invalid-name')).toBe(true);
  });
});
