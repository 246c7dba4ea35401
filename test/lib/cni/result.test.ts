import { describe, expect, it } from 'vitest';
import type { CniError } from '../../../lib/cni/errors.js';
import { convertResult, parseResult } from '../../../lib/cni/result.js';
import type { Result } from '../../../lib/cni/types.js';

const full: Result = {
  cniVersion: '1.1.0',
  interfaces: [
    { name: 'vz-web', mac: '0a:00:00:00:00:01', mtu: 1500 },
    { name: 'eth0', mac: '0a:00:00:00:00:02', sandbox: '/run/netns/c1', socketPath: '/s', pciID: '0000:00:01.0' },
  ],
  ips: [
    { address: '10.89.0.5/24', gateway: '10.89.0.1', interface: 1 },
    { address: 'fd89::5/64', gateway: 'fd89::1', interface: 1 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.89.0.1', mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0 }],
  dns: { nameservers: ['10.89.0.1'], search: ['example'] },
};

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as CniError).code;
  }
  return undefined;
}

describe('convertResult', () => {
  it('keeps every 1.1 field for 1.1.0', () => {
    expect(convertResult(full, '1.1.0')).toEqual({ ...full });
  });

  it('drops 1.1-only interface and route fields for 1.0.0, without ips[].version', () => {
    const out = convertResult(full, '1.0.0') as { interfaces: object[]; routes: object[]; ips: object[] };
    expect(out.interfaces[0]).toEqual({ name: 'vz-web', mac: '0a:00:00:00:00:01' });
    expect(out.interfaces[1]).toEqual({ name: 'eth0', mac: '0a:00:00:00:00:02', sandbox: '/run/netns/c1' });
    expect(out.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.89.0.1' }]);
    expect(out.ips[0]).not.toHaveProperty('version');
  });

  it.each(['0.3.0', '0.3.1', '0.4.0'])('adds ips[].version by family for %s', (v) => {
    const out = convertResult(full, v) as { cniVersion: string; ips: { version: string }[] };
    expect(out.cniVersion).toBe(v);
    expect(out.ips.map((i) => i.version)).toEqual(['4', '6']);
  });

  it('refuses an unsupported target version with code 1', () => {
    expect(codeOf(() => convertResult(full, '0.2.0'))).toBe(1);
  });

  it('omits empty dns', () => {
    expect(convertResult({ cniVersion: '1.0.0', dns: {} }, '1.0.0')).toEqual({ cniVersion: '1.0.0' });
  });
});

describe('parseResult', () => {
  it.each(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])('round-trips through %s', (v) => {
    const wire = convertResult(full, v);
    const back = parseResult(JSON.parse(JSON.stringify(wire)));
    expect(back.cniVersion).toBe(v);
    expect(back.ips).toEqual(full.ips);
    expect(back.interfaces?.map((i) => i.name)).toEqual(['vz-web', 'eth0']);
  });

  it('reads a 0.4.0 result into the 1.1 model without version fields', () => {
    const r = parseResult({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ version: '4', interface: 0, address: '10.1.0.2/16', gateway: '10.1.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    });
    expect(r.ips).toEqual([{ address: '10.1.0.2/16', gateway: '10.1.0.1', interface: 0 }]);
  });

  it('uses the fallback version when the object has none', () => {
    expect(parseResult({ ips: [] }, '1.0.0').cniVersion).toBe('1.0.0');
  });

  it('accepts null lists like Go plugins print', () => {
    expect(parseResult({ cniVersion: '1.0.0', interfaces: null, ips: null, routes: null, dns: null })).toEqual({ cniVersion: '1.0.0' });
  });

  it('rejects a version field that contradicts the address (code 6)', () => {
    expect(codeOf(() => parseResult({ cniVersion: '0.4.0', ips: [{ version: '6', address: '10.0.0.2/24' }] }))).toBe(6);
  });

  it('rejects an interface index out of range (code 6)', () => {
    expect(codeOf(() => parseResult({ cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.0.0.2/24', interface: 0 }] }))).toBe(6);
  });

  it('rejects malformed addresses and routes (code 6) naming the field', () => {
    try {
      parseResult({ cniVersion: '1.0.0', routes: [{ dst: '10.0.0.0' }] });
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).code).toBe(6);
      expect((e as CniError).details).toMatch(/routes\.0\.dst/);
    }
  });

  it('rejects an unsupported result version with code 1', () => {
    expect(codeOf(() => parseResult({ cniVersion: '0.2.0' }))).toBe(1);
  });
});
