import { describe, expect, it } from 'vitest';
import { parseCniArgs } from '../../../lib/cni/args.js';
import { parseNetConf } from '../../../lib/cni/config.js';
import { formatAddress } from '../../../lib/ip/index.js';
import { IPAM_ARGS } from '../../../lib/ipam/args.js';
import { gatewayAddresses, loadIpamConfig, loadStoreConfig } from '../../../lib/ipam/config.js';
import { formatRangeSet } from '../../../lib/ipam/range.js';
import { failure } from './helpers.js';

const conf = (extra: object, ipam: object | undefined = { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] }) =>
  parseNetConf(JSON.stringify({ cniVersion: '1.0.0', name: 'web', type: 'zone', ...(ipam && { ipam }), ...extra })).conf;

const load = (ipam: object, extra: object = {}, cniArgs = '') =>
  loadIpamConfig(conf(extra, { type: 'zone-ipam', ...ipam }), parseCniArgs(cniArgs));
const sets = (ipam: object, extra: object = {}) => load(ipam, extra).rangeSets.map(formatRangeSet);
const requested = (ipam: object, extra: object, cniArgs = '') =>
  load(ipam, extra, cniArgs).requested.map((a) => (a ? formatAddress(a) : undefined));

describe('loadStoreConfig', () => {
  it('puts the store under dataDir/<network name>, by default in /var/lib/cni/networks', () => {
    expect(loadStoreConfig(conf({}))).toEqual({ network: 'web', dir: '/var/lib/cni/networks/web' });
    expect(loadStoreConfig(conf({}, { type: 'x', dataDir: '/tmp/ipam' })).dir).toBe('/tmp/ipam/web');
  });

  it('needs no valid ranges (DEL must work after the ranges changed)', () => {
    expect(loadStoreConfig(conf({}, { type: 'x', ranges: [[{ subnet: 'broken' }]] })).dir).toBe('/var/lib/cni/networks/web');
  });

  it('refuses a missing ipam section and network names that are no file names', async () => {
    const { ipam: _ipam, ...noIpam } = conf({});
    expect(await failure(() => loadStoreConfig(noIpam))).toMatchObject({ code: 7, message: 'IPAM config missing "ipam" key' });
    for (const name of ['../etc', 'a/b', '.hidden', '-x']) {
      const bad = { ...conf({}), name };
      expect((await failure(() => loadStoreConfig(bad))).code, name).toBe(7);
    }
  });

  it('refuses a dataDir of the wrong type', async () => {
    expect((await failure(() => loadStoreConfig(conf({}, { type: 'x', dataDir: 5 })))).code).toBe(7);
  });

  it('needs no parseable ranges, routes or resolvConf either: DEL reads only dataDir', () => {
    const changed = { type: 'x', ranges: 'x', subnet: 5, routes: [{ dst: 'nope' }], resolvConf: 7, dataDir: '/tmp/ipam' };
    expect(loadStoreConfig(conf({}, changed)).dir).toBe('/tmp/ipam/web');
  });

  it.each(['relative/dir', './dir', '/var/lib/cni/../../etc', '/var/lib//cni', '/var/./lib'])(
    'refuses the dataDir %j: it must be absolute and normal (code 7)',
    async (dataDir) => {
      const error = await failure(() => loadStoreConfig(conf({}, { type: 'x', dataDir })));
      expect(error).toMatchObject({ code: 7, message: expect.stringContaining('ipam.dataDir') });
    },
  );

  it('takes an empty dataDir as the default, as host-local does', () => {
    expect(loadStoreConfig(conf({}, { type: 'x', dataDir: '' })).dir).toBe('/var/lib/cni/networks/web');
  });
});

describe('loadIpamConfig: range sets', () => {
  it('reads ranges of both families', () => {
    expect(
      sets({ ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64', rangeStart: 'fd89::10', rangeEnd: 'fd89::20' }]] }),
    ).toEqual(['10.89.0.1-10.89.0.254 of 10.89.0.0/24', 'fd89::10-fd89::20 of fd89::/64']);
  });

  it('puts runtimeConfig.ipRanges, then the legacy range, then ranges, as host-local does', () => {
    const ipam = {
      subnet: '10.1.0.0/24',
      rangeStart: '10.1.0.10',
      rangeEnd: '10.1.0.20',
      gateway: '10.1.0.254',
      ranges: [[{ subnet: '10.2.0.0/24' }]],
    };
    const loaded = load(ipam, { runtimeConfig: { ipRanges: [[{ subnet: '10.3.0.0/24' }]] } });
    expect(loaded.rangeSets.map(formatRangeSet)).toEqual([
      '10.3.0.1-10.3.0.254 of 10.3.0.0/24',
      '10.1.0.10-10.1.0.20 of 10.1.0.0/24',
      '10.2.0.1-10.2.0.254 of 10.2.0.0/24',
    ]);
    expect(formatAddress(loaded.rangeSets[1]![0]!.gateway)).toBe('10.1.0.254');
  });

  it('accepts nulls where Go would', () => {
    expect(sets({ ranges: [[{ subnet: '10.89.0.0/24', gateway: null }]], routes: null, dataDir: null })).toHaveLength(1);
  });

  it.each([
    [{}, 'no IP ranges specified'],
    [{ ranges: [] }, 'no IP ranges specified'],
    [{ ranges: [[]] }, 'ipam.ranges[0] is an empty range set'],
    [{ ranges: [[{ subnet: '10.89.0.5/24' }]] }, 'ipam.ranges[0][0].subnet 10.89.0.5/24 has host bits set'],
    [{ ranges: [[{ subnet: '10.89.0.0/24', gateway: '10.9.0.1' }]] }, 'ipam.ranges[0][0].gateway 10.9.0.1 is outside subnet'],
    [{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.9', rangeEnd: '10.89.0.8' }, 'ipam: rangeStart 10.89.0.9 is after rangeEnd'],
    [{ ranges: [[{ subnet: '10.89.0.0/16' }], [{ subnet: '10.89.7.0/24' }]] }, 'range set ipam.ranges[0] overlaps with ipam.ranges[1]'],
    [{ subnet: '10.89.0.0/24', ranges: [[{ subnet: '10.89.0.0/24' }]] }, 'range set ipam overlaps with ipam.ranges[0]'],
    [{ ranges: [[{ gateway: '10.0.0.1' }]] }, 'invalid ipam configuration'],
    [{ ranges: [[{ subnet: '10.89.0.0/24' }]], routes: [{ dst: 'default' }] }, 'invalid ipam configuration'],
    [{ ranges: [[{ subnet: '10.89.0.0/24' }]], routes: [{ dst: '0.0.0.0/0', gw: 'x' }] }, 'invalid ipam configuration'],
  ])('refuses %j with code 7', async (ipam, message) => {
    const error = await failure(() => load(ipam));
    expect(error.code).toBe(7);
    expect(error.message).toContain(message);
  });
});

describe('gatewayAddresses', () => {
  it('lists each gateway once with its prefix', () => {
    const config = load({
      ranges: [
        [
          { subnet: '10.89.0.0/24', rangeStart: '10.89.0.10', rangeEnd: '10.89.0.19' },
          { subnet: '10.89.0.0/24', rangeStart: '10.89.0.20', rangeEnd: '10.89.0.29' },
        ],
        [{ subnet: 'fd89::/64', gateway: 'fd89::fe' }],
      ],
    });
    expect(gatewayAddresses(config)).toEqual(['10.89.0.1/24', 'fd89::fe/64']);
  });
});

describe('loadIpamConfig: routes and resolvConf', () => {
  it('keeps routes with their optional fields', () => {
    const loaded = load({
      ranges: [[{ subnet: '10.89.0.0/24' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '10.0.0.0/8', gw: '10.89.0.254', mtu: 1400 }],
    });
    expect(loaded.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '10.0.0.0/8', gw: '10.89.0.254', mtu: 1400 }]);
  });

  it('passes resolvConf on', () => {
    expect(load({ ranges: [[{ subnet: '10.89.0.0/24' }]], resolvConf: '/etc/resolv.conf' }).resolvConf).toBe('/etc/resolv.conf');
  });
});

describe('loadIpamConfig: requested addresses', () => {
  const dual = { ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] };

  it('reads CNI_ARGS IP= (comma-separated), args.cni.ips and runtimeConfig.ips, one per range set', () => {
    expect(requested(dual, {}, 'IP=10.89.0.7')).toEqual(['10.89.0.7', undefined]);
    expect(requested(dual, {}, 'IP=fd89::7,10.89.0.7')).toEqual(['10.89.0.7', 'fd89::7']);
    expect(requested(dual, { args: { cni: { ips: ['10.89.0.8/24'] } } })).toEqual(['10.89.0.8', undefined]);
    expect(requested(dual, { runtimeConfig: { ips: ['fd89::8/64'] } })).toEqual([undefined, 'fd89::8']);
    expect(requested(dual, { args: { cni: { ips: ['10.89.0.9'] } }, runtimeConfig: { ips: ['10.89.0.9', 'fd89::9'] } })).toEqual([
      '10.89.0.9',
      'fd89::9',
    ]);
  });

  it('names IP as a CNI_ARGS key the plugin knows', () => {
    expect(IPAM_ARGS).toContain('IP');
  });

  it('refuses a bad address in CNI_ARGS with code 4, elsewhere with 7', async () => {
    expect(await failure(() => requested(dual, {}, 'IP=10.89.0.300'))).toMatchObject({
      code: 4,
      message: 'CNI_ARGS IP: "10.89.0.300" is not an IP address',
    });
    expect(await failure(() => requested(dual, { args: { cni: { ips: ['x'] } } }))).toMatchObject({ code: 7 });
    expect(await failure(() => requested(dual, { runtimeConfig: { ips: ['10.89.0.1/99'] } }))).toMatchObject({ code: 7 });
    expect(await failure(() => requested(dual, { runtimeConfig: { ips: 'fd89::1' } }))).toMatchObject({ code: 7 });
  });

  it('refuses an address outside every range set, and two for one set', async () => {
    expect(await failure(() => requested(dual, {}, 'IP=10.90.0.7'))).toMatchObject({
      code: 7,
      message: 'requested IP 10.90.0.7 is not in any configured range',
    });
    const narrow = { ranges: [[{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.100' }]] };
    expect((await failure(() => requested(narrow, {}, 'IP=10.89.0.7'))).code).toBe(7);
    expect(await failure(() => requested(dual, { runtimeConfig: { ips: ['10.89.0.7', '10.89.0.8'] } }))).toMatchObject({
      code: 7,
      message: 'requested IPs 10.89.0.7 and 10.89.0.8 fall into the same range set',
    });
  });
});
