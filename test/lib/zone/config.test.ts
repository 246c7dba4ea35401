import { describe, expect, it } from 'vitest';
import { parseNetConf } from '../../../lib/cni/config.js';
import { CniError } from '../../../lib/cni/errors.js';
import { MAX_CONTAINER_ID_LENGTH, MAX_ZONE_NETWORK_NAME_LENGTH } from '../../../lib/names/index.js';
import { loadZoneConfig } from '../../../lib/zone/plan.js';
import { attachmentAlias } from '../../../lib/names/attachment.js';

const ipam = { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] };

function load(fields: object = {}, name = 'web') {
  return loadZoneConfig(parseNetConf(JSON.stringify({ cniVersion: '1.1.0', name, type: 'zone', ipam, ...fields })).conf);
}

function failure(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('loadZoneConfig', () => {
  it('fills in the defaults: the network name as zone, auto backend, masquerade on', () => {
    expect(load()).toEqual({
      zone: 'web',
      bridge: 'vz-web',
      backend: 'auto',
      networkDir: '/run/systemd/network',
      ipMasq: true,
      hairpin: false,
      ipv6Dad: false,
      allowZones: [],
      dns: { domain: 'internal', forward: true, stateDir: '/run/cni-zones/dns' },
    });
  });

  it('takes every setting given', () => {
    const config = load({
      zone: 'db_1.x-y',
      backend: 'netlink',
      networkDir: '/etc/systemd/network',
      ipMasq: false,
      hairpin: true,
      mtu: 9000,
      dhcpPool: { offset: 128, size: 100 },
      ipv6Dad: true,
      allowZones: ['web', 'db', 'db_1.x-y', 'web'],
      nameServer: false,
      ipam: { type: 'host-local', subnet: '10.89.0.0/24' },
    });
    expect(config).toEqual({
      zone: 'db_1.x-y',
      bridge: 'vz-db_1.x-y',
      backend: 'netlink',
      networkDir: '/etc/systemd/network',
      ipMasq: false,
      hairpin: true,
      mtu: 9000,
      dhcpPool: { offset: 128, size: 100 },
      ipv6Dad: true,
      // once each, never the zone itself
      allowZones: ['web', 'db'],
      dns: false,
    });
  });

  it.each([[''], ['abcdefghijklm'], ['we b'], ['db" . "x'], ['-db'], ['db}']])('refuses %j in allowZones with code 7', (peer) => {
    const error = failure(() => load({ allowZones: ['db', peer] }));
    expect(error.code).toBe(7);
    expect(error.message).toMatch(/invalid zone name .* in "allowZones"/);
  });

  it('refuses an allowZones that is not a list of strings with code 7', () => {
    expect(failure(() => load({ allowZones: 'db' })).code).toBe(7);
    expect(failure(() => load({ allowZones: [1] })).code).toBe(7);
  });

  it('turns hairpin on with the portMappings capability, unless the config says otherwise', () => {
    expect(load({ capabilities: { portMappings: true } }).hairpin).toBe(true);
    expect(load({ capabilities: { portMappings: true }, hairpin: false }).hairpin).toBe(false);
    expect(load({ capabilities: { portMappings: false } }).hairpin).toBe(false);
    expect(load({ capabilities: { mac: true } }).hairpin).toBe(false);
  });

  it('accepts a zone of 12 characters: vz-<zone> fills IFNAMSIZ exactly', () => {
    expect(load({ zone: 'abcdefghijkl' }).bridge).toBe('vz-abcdefghijkl');
  });

  it.each(['abcdefghijklm', '', 'we b', 'web/1', 'web:1', 'web;x', 'wéb', '-web', '_web', '..'])(
    'refuses the zone name %j with code 7',
    (zone) => {
      const error = failure(() => load({ zone }));
      expect(error.code).toBe(7);
      expect(error.message).toMatch(/invalid zone name/);
    },
  );

  it('says how to fix a network name that cannot be the zone name', () => {
    const error = failure(() => load({}, 'a-very-long-network-name'));
    expect(error.code).toBe(7);
    expect(error.details).toMatch(/set "zone"/);
  });

  it('requires an ipam section', () => {
    const conf = parseNetConf(JSON.stringify({ cniVersion: '1.1.0', name: 'web', type: 'zone' })).conf;
    const error = failure(() => loadZoneConfig(conf));
    expect(error.code).toBe(7);
    expect(error.message).toMatch(/ipam/);
  });

  it.each([
    ['an unknown backend', { backend: 'systemd' }],
    ['a relative networkDir', { networkDir: 'run/systemd/network' }],
    ['a networkDir with ".."', { networkDir: '/run/systemd/network/../../etc/systemd/network' }],
    ['a networkDir with "."', { networkDir: '/run/./systemd/network' }],
    ['an MTU below 68', { mtu: 67 }],
    ['an MTU above 65535', { mtu: 65536 }],
    ['a fractional MTU', { mtu: 1500.5 }],
    ['ipMasq as a string', { ipMasq: 'yes' }],
    ['a DHCP pool at offset 0', { dhcpPool: { offset: 0, size: 10 } }],
    ['a DHCP pool without size', { dhcpPool: { offset: 10 } }],
    ['a zone that is not a string', { zone: 7 }],
    ['dns true', { dns: true }],
    ['a name server domain with an empty label', { nameServer: { domain: 'a..b' } }],
    ['a name server domain with an underscore', { nameServer: { domain: 'my_lan' } }],
    ['a relative name server stateDir', { nameServer: { stateDir: 'run/dns' } }],
    ['nameServer.forward that is not a boolean', { nameServer: { forward: 'yes' } }],
  ])('refuses %s with code 7', (_, fields) => {
    expect(failure(() => load(fields)).code).toBe(7);
  });

  it('takes a network name of up to 100 characters: it is part of every host veth alias', () => {
    expect(MAX_ZONE_NETWORK_NAME_LENGTH).toBe(100);
    expect(load({ zone: 'web' }, 'n'.repeat(100)).zone).toBe('web');
    const error = failure(() => load({ zone: 'web' }, 'n'.repeat(101)));
    expect(error.code).toBe(7);
    expect(error.details).toMatch(/at most 100/);
  });

  it('leaves room in the alias for the longest container ID and ifname', () => {
    const alias = attachmentAlias('n'.repeat(MAX_ZONE_NETWORK_NAME_LENGTH), 'c'.repeat(MAX_CONTAINER_ID_LENGTH), 'i'.repeat(15));
    expect(alias).toHaveLength(255);
  });

  it("takes a multi-host zone's vxlan settings: addresses canonical, peers once each, port 4789 by default", () => {
    expect(load({ vxlan: { vni: 4242, local: '192.0.2.1', peers: ['192.0.2.2', '192.0.2.3', '192.0.2.2'] } }).vxlan).toEqual({
      vni: 4242,
      local: '192.0.2.1',
      port: 4789,
      peers: ['192.0.2.2', '192.0.2.3'],
    });
    expect(load({ vxlan: { vni: 0, local: '2001:DB8::1', peers: ['2001:db8:0::2'], port: 8472 } }).vxlan).toEqual({
      vni: 0,
      local: '2001:db8::1',
      port: 8472,
      peers: ['2001:db8::2'],
    });
    expect(load().vxlan).toBeUndefined();
  });

  it('refuses vxlan settings that cannot work with code 7, saying why', () => {
    const refused = (vxlan: object) => failure(() => load({ vxlan }));
    expect(refused({ vni: 1 << 24, local: '192.0.2.1' }).code).toBe(7);
    expect(refused({ vni: 1, local: '192.0.2.1', port: 0 }).code).toBe(7);
    expect(refused({ vni: 1, local: 'host-a' }).message).toMatch(/invalid address "host-a" in "vxlan.local"/);
    expect(refused({ vni: 1, local: '127.0.0.1' }).details).toMatch(/loopback/);
    expect(refused({ vni: 1, local: '239.1.1.1' }).details).toMatch(/multicast/);
    expect(refused({ vni: 1, local: '192.0.2.1', peers: ['2001:db8::2'] }).details).toMatch(/not of the family/);
    expect(refused({ vni: 1, local: '192.0.2.1', peers: ['192.0.2.1'] }).details).toMatch(/"local" itself/);
    expect(refused({ vni: 1, local: '192.0.2.1', peers: Array.from({ length: 1025 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) }).code).toBe(
      7,
    );
  });

  it('takes the name server settings, the domain lowercased and without its trailing dot', () => {
    expect(load({ nameServer: { domain: 'Corp.Example.', forward: false, stateDir: '/run/test-dns' } }).dns).toEqual({
      domain: 'corp.example',
      forward: false,
      stateDir: '/run/test-dns',
    });
    // The spec's `dns` is the container's resolver, not the name server's: its domain changes nothing here.
    expect(load({ dns: { nameservers: ['192.0.2.53'], domain: 'corp.example' } }).dns).toEqual({
      domain: 'internal',
      forward: true,
      stateDir: '/run/cni-zones/dns',
    });
  });
});
