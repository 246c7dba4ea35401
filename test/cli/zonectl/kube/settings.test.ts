import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings, parseSubnet, readSettings } from '../../../../cli/zonectl/kube/settings.js';
import { formatAddress, formatSubnet } from '../../../../lib/ip/index.js';
import { makeTestTempDir } from '../../../support/paths.js';

describe('parseSettings', () => {
  it('has defaults for everything: network and zone k8s-pods, no name server, masquerade, one zone per node', () => {
    expect(parseSettings({})).toEqual({ network: 'k8s-pods', zone: 'k8s-pods', backend: 'auto', ipMasq: true, nameServer: false });
  });

  it('takes a zone across nodes', () => {
    const settings = parseSettings({
      network: 'pods',
      nameServer: true,
      multiHost: {
        clusterSubnets: ['10.244.0.0/16', 'fd00:10:244::/56'],
        vxlan: { vni: 4242, port: 8472, peers: ['192.0.2.1', '192.0.2.2'] },
      },
    });
    expect(settings.zone).toBe('pods');
    expect(settings.nameServer).toBe(true);
    expect(settings.multiHost?.clusterSubnets.map((s) => formatSubnet(s))).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(settings.multiHost?.vxlan.vni).toBe(4242);
    expect(settings.multiHost?.vxlan.port).toBe(8472);
    expect(settings.multiHost?.vxlan.peers.map(formatAddress)).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it.each([
    [{ zone: 'a-zone-name-too-long' }, /zone "a-zone-name-too-long": it is longer than 12 characters/],
    [{ network: '-x' }, /network "-x"/],
    [{ zones: 'typo' }, /does not match its schema/],
    [{ backend: 'docker' }, /does not match its schema/],
    [
      { multiHost: { clusterSubnets: ['10.244.1.0/16'], vxlan: { vni: 1, peers: [] } } },
      /clusterSubnets\[0\] "10.244.1.0\/16" is not a subnet/,
    ],
    [{ multiHost: { clusterSubnets: ['10.0.0.0/8', '10.244.0.0/16'], vxlan: { vni: 1, peers: [] } } }, /two subnets of one family/],
    [{ multiHost: { clusterSubnets: ['10.0.0.0/8'], vxlan: { vni: 0, peers: [] } } }, /does not match its schema/],
    [{ multiHost: { clusterSubnets: ['10.0.0.0/8'], vxlan: { vni: 16777216, peers: [] } } }, /does not match its schema/],
    [
      { multiHost: { clusterSubnets: ['10.0.0.0/8'], vxlan: { vni: 1, peers: ['192.0.2.300'] } } },
      /peers\[0\] "192.0.2.300" is not an IP address/,
    ],
    [{ multiHost: { clusterSubnets: ['10.0.0.0/8'], vxlan: { vni: 1, peers: ['192.0.2.1', '2001:db8::1'] } } }, /mixes IPv4 and IPv6/],
    [{ multiHost: { clusterSubnets: ['10.0.0.0/8'], vxlan: { vni: 1, peers: [], local: '192.0.2.1' } } }, /does not match its schema/],
  ])('refuses %j', (value, message) => {
    expect(() => parseSettings(value)).toThrow(message);
  });
});

describe('parseSubnet', () => {
  it('takes a subnet written as its network address only', () => {
    expect(formatSubnet(parseSubnet('10.244.0.0/16')!)).toBe('10.244.0.0/16');
    expect(parseSubnet('10.244.0.1/16')).toBeUndefined();
    expect(parseSubnet('10.244.0.0')).toBeUndefined();
  });
});

describe('readSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTestTempDir('kube-settings');
    mkdirSync(dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the ConfigMap file, or takes the defaults without one', () => {
    writeFileSync(join(dir, 'config.json'), '{ "zone": "pods" }\n');
    expect(readSettings(join(dir, 'config.json')).zone).toBe('pods');
    expect(readSettings(undefined).zone).toBe('k8s-pods');
  });

  it('says what is wrong with the file', () => {
    writeFileSync(join(dir, 'bad.json'), '{ zone: pods }');
    expect(() => readSettings(join(dir, 'bad.json'))).toThrow(/is not JSON/);
    expect(() => readSettings(join(dir, 'missing.json'))).toThrow(/cannot read the settings/);
  });
});
