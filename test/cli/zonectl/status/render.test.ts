import { describe, expect, it } from 'vitest';
import type { StatusReport, ZoneView } from '../../../../cli/zonectl/status/model.js';
import { formatPort, renderStatus, renderZone } from '../../../../cli/zonectl/status/render.js';

const zone: ZoneView = {
  zone: 'web',
  network: 'web',
  source: '/etc/cni/net.d/web.conflist',
  backend: { configured: 'auto', active: 'networkd' },
  bridge: { name: 'vz-web', present: true, up: true, addresses: ['10.89.0.1/24'], ports: ['vz0', 'vb-m'], otherPorts: ['vb-m'] },
  networkd: { adminState: 'configured', operState: 'routable', networkFile: '/run/systemd/network/70-cni-zones-web.network' },
  subnets: ['10.89.0.0/24'],
  dhcpPool: { first: '10.89.0.128', last: '10.89.0.227', size: 100 },
  plugins: { ok: true },
  attachments: [
    {
      containerId: 'c1',
      ifname: 'eth0',
      netns: '/run/netns/c1',
      netnsPresent: true,
      addresses: ['10.89.0.2/24', 'fd89::2/64'],
      mac: '0a:00:00:00:00:01',
      hostVeth: 'vz0',
      ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      check: { ok: true },
      names: ['c1.web.internal', 'www.web.internal'],
    },
  ],
  nameServer: { enabled: true, domain: 'web.internal', stateDir: '/run/cni-zones/dns', running: true },
  problems: [],
  healthy: true,
};

describe('renderZone', () => {
  it('reads like networkctl status, then the attachments', () => {
    expect(renderZone(zone, { colour: false })).toBe(
      [
        '● zone web: healthy',
        '        Network:  web (/etc/cni/net.d/web.conflist)',
        '         Bridge:  vz-web, up, 10.89.0.1/24',
        '        Backend:  networkd (configured: auto)',
        '       networkd:  configured, routable (/run/systemd/network/70-cni-zones-web.network)',
        '        Subnets:  10.89.0.0/24',
        '      DHCP pool:  10.89.0.128 - 10.89.0.227 (100 addresses, for --network-zone machines)',
        '    Name server:  running; answers *.web.internal at the gateways',
        '        Plugins:  ready',
        '    Attachments:  1',
        '    Other ports:  vb-m (nspawn --network-zone machines, other runtimes)',
        '',
        '  CONTAINER  NAMES             IFNAME  ADDRESSES     MAC                PORTS        CHECK',
        '  c1         c1.web.internal   eth0    10.89.0.2/24  0a:00:00:00:00:01  tcp 8080→80  ok',
        '             www.web.internal          fd89::2/64',
        '',
        '',
      ].join('\n'),
    );
  });

  it('shows the zone isolation: whom it allows, who allows it, and whether it is in effect', () => {
    const isolation = (view: ZoneView['isolation']) =>
      renderZone({ ...zone, ...(view && { isolation: view }) }, { colour: false })
        .split('\n')
        .filter((line) => line.includes('Isolation:'));
    expect(isolation({ active: true, allowZones: ['db', 'app'], allowedBy: ['app', 'ops'] })).toEqual([
      "      Isolation:  isolated from other zones; allowed: db, app, ops (by ops's configuration)",
    ]);
    expect(isolation({ active: true, allowZones: [], allowedBy: [] })).toEqual([
      '      Isolation:  isolated from other zones; no other zone allowed',
    ]);
    expect(isolation({ active: false, allowZones: ['db'], allowedBy: [] })).toEqual([
      '      Isolation:  not in effect yet (made with the first attachment); allowed: db',
    ]);
    expect(isolation(undefined)).toEqual([]);
  });

  it('shows the name server: off, not running, names no member holds', () => {
    const nameServer = (view: ZoneView['nameServer']) =>
      renderZone({ ...zone, ...(view && { nameServer: view }) }, { colour: false })
        .split('\n')
        .filter((line) => line.includes('Name server:') || line.includes('Other names:'));
    expect(nameServer({ enabled: false })).toEqual(['    Name server:  off (nameServer: false)']);
    expect(nameServer({ enabled: true, domain: 'web.internal', running: false, otherNames: ['db.web.internal'] })).toEqual([
      '    Name server:  not running (it runs while the zone has members); answers *.web.internal at the gateways',
      '    Other names:  db.web.internal (machines, other runtimes)',
    ]);
  });

  it('lists the nspawn machines on the bridge with their names and addresses', () => {
    const machines = [
      { machine: 'db', name: 'db.web.internal', port: 'vb-db', addresses: ['10.89.0.130', 'fd89::82'] },
      { machine: 'my_box', port: 'vb-my_box', addresses: [] },
    ];
    const text = renderZone({ ...zone, machines }, { colour: false });
    expect(text).toContain('       Machines:  2 (nspawn --network-zone)\n');
    expect(text).toContain(
      [
        '  MACHINE  NAME             PORT       ADDRESSES',
        '  db       db.web.internal  vb-db      10.89.0.130',
        '                                       fd89::82',
        '  my_box   -                vb-my_box  -',
        '',
      ].join('\n'),
    );
    expect(renderZone({ ...zone, machines: [] }, { colour: false })).not.toContain('MACHINE');
  });

  it('shows "-" for a member without names', () => {
    const text = renderZone({ ...zone, attachments: [{ ...zone.attachments[0]!, names: [] }] }, { colour: false });
    expect(text).toContain('  c1         -      eth0    10.89.0.2/24');
  });

  it('lists the problems of an unhealthy zone, with colour on a terminal', () => {
    const broken: ZoneView = {
      ...zone,
      backend: { configured: 'netlink', active: 'netlink' },
      bridge: { name: 'vz-web', present: false, addresses: [], ports: [], otherPorts: [] },
      plugins: { ok: false, error: 'plugin type="zone" failed (status): nope' },
      attachments: [{ ...zone.attachments[0]!, check: { ok: false, error: 'interface eth0 is missing' } }],
      problems: ['bridge vz-web is missing', 'c1 (eth0): interface eth0 is missing'],
      healthy: false,
    };
    const text = renderZone(broken, { colour: true });
    expect(text.split('\n')[0]).toBe('\x1b[31m●\x1b[0m zone web: 2 problems');
    expect(text).toContain('Bridge:  vz-web (not there yet');
    expect(text).toContain('Plugins:  not ready: plugin type="zone" failed (status): nope');
    expect(text).toMatch(/c1 +c1\.web\.internal +eth0 .*FAILED/);
    expect(text).toContain('  Problems:\n    - bridge vz-web is missing\n    - c1 (eth0): interface eth0 is missing\n');
  });
});

describe('renderZone of a multi-host zone', () => {
  const vxlan: NonNullable<ZoneView['vxlan']> = {
    vni: 4242,
    local: '192.0.2.1',
    port: 4789,
    device: {
      name: 'vx-web',
      present: true,
      kind: 'vxlan',
      vni: 4242,
      local: '192.0.2.1',
      port: 4789,
      up: true,
      mtu: 1450,
      onBridge: true,
      floods: ['192.0.2.2', '192.0.2.7'],
    },
    peers: [
      { address: '192.0.2.2', flooded: true, answers: true, rttMs: 0.082 },
      { address: '192.0.2.3', flooded: false, answers: false, reason: 'sendto: Network is unreachable' },
    ],
    strayFloods: ['192.0.2.7'],
    keptLocal: { inPlace: true, problems: [] },
  };
  const lines = (view: ZoneView) =>
    renderZone(view, { colour: false })
      .split('\n')
      .filter((line) => /VXLAN:|Kept local:|Peers:/.test(line));

  it('shows the port, the bridge table and the peers, then each peer with its flood entry and ping', () => {
    const text = renderZone({ ...zone, vxlan }, { colour: false });
    expect(lines({ ...zone, vxlan })).toEqual([
      '          VXLAN:  vx-web, up, VNI 4242, 192.0.2.1:4789, MTU 1450',
      '     Kept local:  DHCPv4 and router discovery stay on this host (table bridge cni_zones)',
      '          Peers:  2 (1 answers a ping)',
    ]);
    expect(text).toContain(
      [
        '  PEER       FLOOD ENTRY      PING',
        '  192.0.2.2  yes              answers (0.082 ms)',
        '  192.0.2.3  no               no answer (sendto: Network is unreachable)',
        '  192.0.2.7  yes, of no peer  -',
        '',
      ].join('\n'),
    );
    expect(renderZone(zone, { colour: false })).not.toMatch(/VXLAN|PEER/);
  });

  it('says when the port is missing, not made yet, down, off the bridge or something else, and when DHCP is not kept local', () => {
    const device = (d: Partial<typeof vxlan.device>) => ({ ...vxlan, device: { ...vxlan.device, ...d } });
    const gone = { ...vxlan, device: { name: 'vx-web', present: false, floods: [] } };
    expect(lines({ ...zone, vxlan: gone })[0]).toBe('          VXLAN:  vx-web MISSING; VNI 4242, 192.0.2.1:4789');
    const noBridge = { ...zone.bridge, present: false, addresses: [], ports: [], otherPorts: [] };
    expect(lines({ ...zone, bridge: noBridge, vxlan: gone })[0]).toBe(
      '          VXLAN:  vx-web (not there yet: it is made with the first attachment); VNI 4242, 192.0.2.1:4789',
    );
    expect(lines({ ...zone, vxlan: device({ up: false, onBridge: false, vni: 7 }) })[0]).toBe(
      '          VXLAN:  vx-web, DOWN, VNI 7, 192.0.2.1:4789, MTU 1450, not on the bridge',
    );
    expect(lines({ ...zone, vxlan: device({ kind: 'veth' }) })[0]).toBe('          VXLAN:  vx-web is a veth link, not a VXLAN port');
    const v6 = { ...vxlan, local: 'fd00::1', device: { name: 'vx-web', present: false, floods: [] } };
    expect(lines({ ...zone, vxlan: v6 })[0]).toBe('          VXLAN:  vx-web MISSING; VNI 4242, [fd00::1]:4789');
    const flushed = { ...vxlan, keptLocal: { inPlace: false, problems: ['table bridge cni_zones missing'] } };
    expect(lines({ ...zone, vxlan: flushed })[1]).toBe(
      '     Kept local:  DHCPv4 and router discovery NOT kept on this host: table bridge cni_zones missing',
    );
  });
});

describe('renderStatus', () => {
  const report: StatusReport = {
    confDir: '/etc/cni/net.d',
    cacheDir: '/var/lib/cni',
    networkd: { presence: 'absent', reason: '' },
    zones: [],
    unreadable: [],
    healthy: true,
  };

  it('explains an empty conf dir', () => {
    expect(renderStatus(report, { colour: false })).toBe(
      'No zones in /etc/cni/net.d (networks whose chain holds the "zone" plugin).\nRun "zonectl install --example" for the example network, or pass --conf-dir.\n',
    );
  });

  it('names unreadable files', () => {
    const text = renderStatus({ ...report, zones: [zone], unreadable: [{ file: '/x.conflist', error: 'bad JSON' }] }, { colour: false });
    expect(text).toContain('● zone web: healthy');
    expect(text).toContain('● /x.conflist: cannot be read: bad JSON\n');
  });
});

describe('formatPort', () => {
  it('writes protocol, host side and container port', () => {
    expect(formatPort({ hostPort: 53, containerPort: 5353, protocol: 'udp', hostIP: '127.0.0.1' })).toBe('udp 127.0.0.1:53→5353');
  });
});
