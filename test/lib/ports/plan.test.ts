import { describe, expect, it } from 'vitest';
import { parsePortMappings } from '../../../lib/ports/mappings.js';
import { claimLabel, planElements, planOf, planPorts } from '../../../lib/ports/plan.js';
import type { Targets } from '../../../lib/ports/targets.js';

const tag = 'ports web c1 eth0';
const dual: Targets = {
  4: { family: 4, address: '10.89.0.5', subnet: '10.89.0.0/24' },
  6: { family: 6, address: 'fd89::5', subnet: 'fd89::/64' },
};
const v4only: Targets = { 4: dual[4] };
const mappings = (...entries: object[]) => parsePortMappings(entries);
const keys = (elements: { set: string; key: readonly string[]; value?: readonly string[] }[]) =>
  elements.map((e) => `${e.set} ${e.key.join(' . ')}${e.value ? ` : ${e.value.join(' . ')}` : ''}`);

describe('planPorts', () => {
  it('claims every local address of both families, masquerades hairpin and localhost', () => {
    const plan = planPorts(mappings({ hostPort: 8080, containerPort: 80 }), dual, { tag, localhost: true });
    expect(keys(plan.claims)).toEqual(['ports_any_v4 tcp . 8080 : 10.89.0.5 . 80', 'ports_any_v6 tcp . 8080 : fd89::5 . 80']);
    expect(keys(plan.marks)).toEqual(['ports_targets_v4 10.89.0.5', 'ports_targets_v6 fd89::5']);
    expect(keys(plan.shared)).toEqual(['ports_hairpin_v4 10.89.0.0/24 . 10.89.0.0/24', 'ports_hairpin_v6 fd89::/64 . fd89::/64']);
    expect(plan.shared.every((e) => e.comment === 'ports shared')).toBe(true);
    expect(plan.loopback).toBe(true);
    expect(planElements(plan).every((e) => e.comment === tag)).toBe(true);
    expect(planElements(plan)).toHaveLength(4);
  });

  it('keys a hostIP mapping by address, in its family only', () => {
    const plan = planPorts(mappings({ hostPort: 443, containerPort: 8443, protocol: 'udp', hostIP: '2001:db8::1' }), dual, {
      tag,
      localhost: true,
    });
    expect(keys(plan.claims)).toEqual(['ports_addr_v6 udp . 2001:db8::1 . 443 : fd89::5 . 8443']);
    expect(keys(plan.marks)).toEqual(['ports_targets_v6 fd89::5']);
    expect(keys(plan.shared)).toEqual(['ports_hairpin_v6 fd89::/64 . fd89::/64']);
    expect(plan.loopback).toBe(false);
  });

  it('publishes hostIP 127.0.0.1 on localhost only', () => {
    const plan = planPorts(mappings({ hostPort: 5432, containerPort: 5432, hostIP: '127.0.0.1' }), dual, { tag, localhost: true });
    expect(keys(plan.claims)).toEqual(['ports_addr_v4 tcp . 127.0.0.1 . 5432 : 10.89.0.5 . 5432']);
    expect(plan.loopback).toBe(true);
    expect(keys(plan.marks)).toEqual(['ports_targets_v4 10.89.0.5']);
  });

  it('with localhost off: opts each any-address mapping out of 127.0.0.0/8, no loopback masquerade', () => {
    const plan = planPorts(
      mappings({ hostPort: 8080, containerPort: 80 }, { hostPort: 8081, containerPort: 81, hostIP: '0.0.0.0' }),
      v4only,
      { tag, localhost: false },
    );
    expect(keys(plan.marks)).toEqual(['ports_nolocal_v4 tcp . 8080', 'ports_nolocal_v4 tcp . 8081', 'ports_targets_v4 10.89.0.5']);
    expect(plan.loopback).toBe(false);
    expect(() => planPorts(mappings({ hostPort: 1, containerPort: 1, hostIP: '127.0.0.1' }), v4only, { tag, localhost: false })).toThrow(
      expect.objectContaining({ code: 7, message: expect.stringMatching(/localhost only, but "localhost" leaves it out/) }),
    );
  });

  it('plans a [::1] proxy per TCP port on every address or on ::1, toward whichever address the container has', () => {
    const asked = mappings(
      { hostPort: 8080, containerPort: 80 },
      { hostPort: 8081, containerPort: 81, hostIP: '::1' },
      { hostPort: 8082, containerPort: 82, protocol: 'udp' },
      { hostPort: 8083, containerPort: 83, hostIP: '127.0.0.1' },
      { hostPort: 8084, containerPort: 84, hostIP: '::' },
    );
    expect(planPorts(asked, v4only, { tag, localhost: true }).proxies).toEqual([
      { port: 8080, target: '10.89.0.5:80' },
      { port: 8081, target: '10.89.0.5:81' },
    ]);
    const dual = { ...v4only, 6: { family: 6 as const, address: 'fd89::5', subnet: 'fd89::/64' } };
    expect(planPorts(asked, dual, { tag, localhost: true }).proxies.map((p) => p.target)).toEqual([
      '[fd89::5]:80',
      '[fd89::5]:81',
      '[fd89::5]:84',
    ]);
    expect(planPorts(mappings({ hostPort: 8080, containerPort: 80 }), v4only, { tag, localhost: true, localhost6: false }).proxies).toEqual(
      [],
    );
    expect(() =>
      planPorts(mappings({ hostPort: 1, containerPort: 1, hostIP: '::1' }), v4only, { tag, localhost: true, localhost6: false }),
    ).toThrow(expect.objectContaining({ code: 7 }));
    expect(() =>
      planPorts(mappings({ hostPort: 1, containerPort: 1 }, { hostPort: 1, containerPort: 2, hostIP: '::1' }), v4only, {
        tag,
        localhost: true,
      }),
    ).toThrow(expect.objectContaining({ code: 7, message: expect.stringMatching(/tcp\/\[::1\]:1 twice/) }));
  });

  it('skips mappings of a family the container has no address in', () => {
    const plan = planPorts(
      mappings({ hostPort: 80, containerPort: 80, hostIP: '::' }, { hostPort: 81, containerPort: 81, hostIP: '2001:db8::1' }),
      v4only,
      { tag, localhost: true },
    );
    expect(plan).toEqual({ claims: [], proxies: [], marks: [], shared: [], loopback: false });
    expect(planPorts(mappings({ hostPort: 80, containerPort: 80 }), {}, { tag, localhost: true }).claims).toEqual([]);
  });

  it('merges repeated mappings and refuses one port leading to two places', () => {
    const same = planPorts(mappings({ hostPort: 80, containerPort: 80 }, { hostPort: 80, containerPort: 80, hostIP: '0.0.0.0' }), v4only, {
      tag,
      localhost: true,
    });
    expect(keys(same.claims)).toEqual(['ports_any_v4 tcp . 80 : 10.89.0.5 . 80']);
    expect(() =>
      planPorts(mappings({ hostPort: 80, containerPort: 80 }, { hostPort: 80, containerPort: 81 }), v4only, { tag, localhost: true }),
    ).toThrow(
      expect.objectContaining({ code: 7, message: expect.stringMatching(/tcp\/80 twice with different container ports \(80 and 81\)/) }),
    );
    const protocols = planPorts(
      mappings({ hostPort: 80, containerPort: 80 }, { hostPort: 80, containerPort: 80, protocol: 'udp' }),
      v4only,
      { tag, localhost: true },
    );
    expect(protocols.claims).toHaveLength(2);
  });
});

describe('claimLabel and planOf', () => {
  it('names a claim by protocol, address, port and family', () => {
    expect(claimLabel({ kind: 'element', set: 'ports_any_v6', key: ['udp', '53'] })).toBe('udp/53 (IPv6)');
    expect(claimLabel({ kind: 'element', set: 'ports_addr_v4', key: ['tcp', '127.0.0.1', '5432'] })).toBe('tcp/127.0.0.1:5432');
  });

  it('plans a request toward the container-side addresses of its result', () => {
    const plan = planOf({
      owner: { network: 'web', containerId: 'c1', ifname: 'eth0' },
      mappings: parsePortMappings([{ hostPort: 80, containerPort: 8080 }]),
      config: { localhost: false, localhost6: false, stateDir: '/x' },
      result: {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'br' }, { name: 'eth0', sandbox: '/n' }],
        ips: [
          { address: '10.0.0.1/24', interface: 0 },
          { address: '10.0.0.7/24', interface: 1 },
        ],
      },
    });
    expect(keys(plan.claims)).toEqual(['ports_any_v4 tcp . 80 : 10.0.0.7 . 8080']);
    expect(plan.claims[0]?.comment).toBe('ports web c1 eth0');
    expect(
      planOf({
        owner: { network: 'web', containerId: 'c1', ifname: 'eth0' },
        mappings: undefined,
        config: { localhost: true, localhost6: true, stateDir: '/x' },
      }).claims,
    ).toEqual([]);
  });
});
