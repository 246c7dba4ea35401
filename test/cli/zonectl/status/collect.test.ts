// The pure parts of status collection; collectStatus itself reads the kernel and runs plugins,
// and is checked against ip(8) in test/e2e/zonectl-machines.test.ts.
import { describe, expect, it } from 'vitest';
import { dhcpPoolOf, namesOf, otherNamesOf, problemsOf, subnetsOf } from '../../../../cli/zonectl/status/collect.js';

describe('subnetsOf', () => {
  it('reads ranges and the legacy subnet, once each', () => {
    expect(
      subnetsOf({ subnet: '10.1.0.0/16', ranges: [[{ subnet: '10.89.0.0/24' }, { subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] }),
    ).toEqual(['10.1.0.0/16', '10.89.0.0/24', 'fd89::/64']);
  });

  it('ignores what is not a subnet list', () => {
    expect(subnetsOf(undefined)).toEqual([]);
    expect(subnetsOf({ ranges: 'x' })).toEqual([]);
    expect(subnetsOf({ ranges: [[null, { subnet: 5 }], 'y'] })).toEqual([]);
  });
});

describe('dhcpPoolOf', () => {
  it("counts from the first IPv4 subnet's network address, as networkd does", () => {
    expect(dhcpPoolOf(['fd89::/64', '10.89.0.0/24'], { offset: 128, size: 100 })).toEqual({
      first: '10.89.0.128',
      last: '10.89.0.227',
      size: 100,
    });
  });

  it('is absent without a pool or an IPv4 subnet', () => {
    expect(dhcpPoolOf(['10.89.0.0/24'], undefined)).toBeUndefined();
    expect(dhcpPoolOf(['fd89::/64'], { offset: 1, size: 1 })).toBeUndefined();
  });
});

describe('problemsOf', () => {
  const zone = {
    zone: 'zt',
    network: 'zt',
    source: '/etc/cni/net.d/zt.conflist',
    backend: { configured: 'netlink', active: 'netlink' as const },
    bridge: { name: 'vz-zt', present: true, up: true, addresses: [], ports: [], otherPorts: [] },
    subnets: ['10.89.0.0/24'],
    plugins: { ok: true },
  };
  const attachment = {
    containerId: 'web',
    ifname: 'eth0',
    netns: '/run/netns/web',
    netnsPresent: true,
    addresses: [],
    hostVeth: 'vz0',
    ports: [],
    names: [],
  };

  it('shows ports drift with the fix in place of the CHECK failure that says the same', () => {
    const problems = problemsOf({
      ...zone,
      masqueradeDrift: ['zone_masq_v4 10.89.0.0/24 missing'],
      attachments: [
        {
          ...attachment,
          check: { ok: false, code: 131, error: 'published ports of container web are not in place: ...' },
          drift: ['tcp/8080 (IPv4) missing', '[::1]:8080 proxy not running'],
        },
      ],
    });
    expect(problems).toEqual([
      'masquerade: drift — zone_masq_v4 10.89.0.0/24 missing → run: zonectl repair',
      'web (eth0) ports: drift — tcp/8080 (IPv4) missing, [::1]:8080 proxy not running → run: zonectl repair',
    ]);
  });

  it('shows isolation drift with the fix', () => {
    const problems = problemsOf({ ...zone, isolationDrift: ['zone_allow vz-zt . vz-db missing'], attachments: [] });
    expect(problems).toEqual(['isolation: drift — zone_allow vz-zt . vz-db missing → run: zonectl repair']);
  });

  it("says when the zone's name server does not run while it has members, and what starts it", () => {
    const stopped = { enabled: true, domain: 'zt.internal', running: false };
    expect(problemsOf({ ...zone, nameServer: stopped, attachments: [{ ...attachment, check: { ok: true } }] })).toEqual([
      `the zone's name server does not run; "zonectl repair" starts it`,
    ]);
    expect(problemsOf({ ...zone, nameServer: stopped, attachments: [] })).toEqual([]);
    expect(problemsOf({ ...zone, nameServer: { enabled: false }, attachments: [{ ...attachment, check: { ok: true } }] })).toEqual([]);
    expect(problemsOf({ ...zone, nameServer: { enabled: true, problem: 'the names store x is not JSON' }, attachments: [] })).toEqual([
      'the names store x is not JSON',
    ]);
  });

  it("shows a multi-host zone's drift with the fix, in place of the CHECK failure that says the same, and each peer that gives no answer", () => {
    const vxlan = {
      vni: 4242,
      local: '192.0.2.1',
      port: 4789,
      device: { name: 'vx-zt', present: true, floods: ['192.0.2.2'] },
      peers: [
        { address: '192.0.2.2', flooded: true, answers: true },
        { address: '192.0.2.9', flooded: false, answers: false },
        { address: '192.0.2.10', flooded: false, answers: false, reason: 'sendto: Network is unreachable' },
      ],
      strayFloods: [],
      keptLocal: { inPlace: false, problems: ['table bridge cni_zones missing'] },
    };
    const vxlanCheck = {
      ok: false,
      code: 122,
      error: 'plugin type="zone" failed (check): multi-host zone zt: vx-zt does not reach peer 192.0.2.9',
    };
    const otherCheck = { ok: false, code: 122, error: 'plugin type="zone" failed (check): host veth vz0 is down' };
    const problems = problemsOf({
      ...zone,
      vxlan,
      vxlanDrift: ['no flood entry for peer 192.0.2.9', 'no flood entry for peer 192.0.2.10', 'table bridge cni_zones missing'],
      attachments: [
        { ...attachment, check: vxlanCheck },
        { ...attachment, containerId: 'db', check: otherCheck },
      ],
    });
    expect(problems).toEqual([
      'vxlan: drift — no flood entry for peer 192.0.2.9, no flood entry for peer 192.0.2.10, table bridge cni_zones missing → run: zonectl repair',
      'peer 192.0.2.9 gives no answer to a ping from 192.0.2.1: is that host up, and routed from here?',
      'peer 192.0.2.10 gives no answer to a ping from 192.0.2.1 (sendto: Network is unreachable): is that host up, and routed from here?',
      'db (eth0): plugin type="zone" failed (check): host veth vz0 is down',
    ]);
    // without drift to say it, CHECK's own words stay
    expect(problemsOf({ ...zone, attachments: [{ ...attachment, check: vxlanCheck }] })).toEqual([`web (eth0): ${vxlanCheck.error}`]);
  });

  it('keeps a CHECK failure of another kind beside the drift', () => {
    const problems = problemsOf({
      ...zone,
      attachments: [
        { ...attachment, check: { ok: false, code: 110, error: 'interface eth0 is missing' }, drift: ['tcp/8080 (IPv4) missing'] },
      ],
    });
    expect(problems).toEqual([
      'web (eth0) ports: drift — tcp/8080 (IPv4) missing → run: zonectl repair',
      'web (eth0): interface eth0 is missing',
    ]);
  });
});

describe('names of the members', () => {
  const web = { network: 'zt', containerId: 'web', ifname: 'eth0' };
  const entries = [
    { name: 'api', addresses: ['10.89.0.2'], owner: web },
    { name: 'web', addresses: ['10.89.0.2'], owner: web },
    { name: 'web', addresses: ['10.89.0.3'], owner: { ...web, ifname: 'eth1' } },
    { name: 'db', addresses: ['10.89.0.4'], owner: { machine: 'db' } },
    { name: 'web', addresses: ['10.89.0.5'], owner: { machine: 'web' } },
  ];

  it("are the store's names of that attachment, as the server answers them", () => {
    expect(namesOf(entries, web, 'zt.internal')).toEqual(['api.zt.internal', 'web.zt.internal']);
    expect(namesOf(entries, { ...web, network: 'other' }, 'zt.internal')).toEqual([]);
  });

  it('leave the names no listed attachment holds, once each', () => {
    expect(otherNamesOf(entries, [web], 'zt.internal')).toEqual(['db.zt.internal', 'web.zt.internal']);
    expect(otherNamesOf(entries, [web, { ...web, ifname: 'eth1' }], 'zt.internal')).toEqual(['db.zt.internal', 'web.zt.internal']);
    expect(otherNamesOf([], [web], 'zt.internal')).toEqual([]);
  });
});
