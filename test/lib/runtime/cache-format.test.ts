import { describe, expect, it } from 'vitest';
import { CACHE_KIND, decodeCacheEntry, encodeCacheEntry, type CacheEntry } from '../../../lib/runtime/cache-format.js';

const config = Buffer.from('{"cniVersion":"1.0.0","name":"web","plugins":[{"type":"zone"}]}\n');

const full: CacheEntry = {
  networkName: 'web',
  containerId: 'cnitool-0123456789abcdef0123',
  ifname: 'eth0',
  config,
  netns: '/run/netns/x',
  cniArgs: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAME', 'a&b'],
  ],
  capabilityArgs: { portMappings: [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }] },
  result: { ips: [{ address: '10.0.0.2/24' }], cniVersion: '1.0.0' },
};

describe('encodeCacheEntry', () => {
  it('writes the fields of libcni cachedInfo in Go struct order, maps sorted, config as base64', () => {
    expect(encodeCacheEntry(full)).toBe(
      '{"kind":"cniCacheV1",' +
        '"containerId":"cnitool-0123456789abcdef0123",' +
        `"config":"${config.toString('base64')}",` +
        '"ifName":"eth0",' +
        '"networkName":"web",' +
        '"netns":"/run/netns/x",' +
        '"cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAME","a\\u0026b"]],' +
        '"capabilityArgs":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},' +
        '"result":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}',
    );
  });

  it('encodes config as standard padded base64 of the raw bytes', () => {
    const text = encodeCacheEntry({ ...full, config: Buffer.from('ab') });
    expect(JSON.parse(text).config).toBe('YWI=');
  });

  it('leaves out empty optional fields, as omitempty does', () => {
    const text = encodeCacheEntry({ ...full, netns: '', cniArgs: [], capabilityArgs: {}, result: {} });
    expect(text).toBe(
      '{"kind":"cniCacheV1","containerId":"cnitool-0123456789abcdef0123",' +
        `"config":"${config.toString('base64')}","ifName":"eth0","networkName":"web"}`,
    );
    const { netns: _a, cniArgs: _b, capabilityArgs: _c, result: _d, ...bare } = full;
    expect(encodeCacheEntry(bare)).toBe(text);
  });

  it('has no trailing newline', () => {
    expect(encodeCacheEntry(full).endsWith('}')).toBe(true);
  });
});

describe('decodeCacheEntry', () => {
  it('reads back what it wrote', () => {
    expect(decodeCacheEntry(encodeCacheEntry(full))).toEqual(full);
  });

  it('reads a record as libcni writes it', () => {
    const text = JSON.stringify({
      kind: CACHE_KIND,
      containerId: 'x1',
      config: Buffer.from('{}').toString('base64'),
      ifName: 'net1',
      networkName: 'n',
      result: { cniVersion: '0.4.0' },
    });
    expect(decodeCacheEntry(text)).toEqual({
      networkName: 'n',
      containerId: 'x1',
      ifname: 'net1',
      config: Buffer.from('{}'),
      result: { cniVersion: '0.4.0' },
    });
  });

  it('takes the namespace from the result when libcni 1.1 wrote no netns (podman 4, containerd 1.6, cnitool 1.1)', () => {
    const result = {
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'vethabc', mac: '02:00:00:00:00:01' },
        { name: 'eth1', sandbox: '/run/netns/other' },
        { name: 'eth0', sandbox: '/run/netns/cni-1234' },
      ],
    };
    const record = (ifName: string) => JSON.stringify({ kind: CACHE_KIND, containerId: 'c', config: '', ifName, networkName: 'n', result });
    expect(decodeCacheEntry(record('eth0'))?.netns).toBe('/run/netns/cni-1234');
    expect(decodeCacheEntry(record('eth9'))?.netns).toBeUndefined();
    const withNetns = JSON.parse(record('eth0'));
    withNetns.netns = '/proc/42/ns/net';
    expect(decodeCacheEntry(JSON.stringify(withNetns))?.netns).toBe('/proc/42/ns/net');
  });

  it('gives undefined for a bare result (older libcni), another kind, or junk', () => {
    expect(decodeCacheEntry('{"cniVersion":"0.3.1","ips":[]}')).toBeUndefined();
    expect(decodeCacheEntry(JSON.stringify({ kind: 'cniCacheV2', containerId: 'x' }))).toBeUndefined();
    expect(decodeCacheEntry('not json')).toBeUndefined();
    expect(decodeCacheEntry(JSON.stringify({ kind: CACHE_KIND, cniArgs: 'x' }))).toBeUndefined();
  });
});
