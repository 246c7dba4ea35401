import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectPorts } from '../../../../cli/zonectl/status/ports.js';
import type { ProxyRecord } from '../../../../lib/ports/state.js';
import { writeState } from '../../../../lib/ports/state.js';
import { writeCacheEntry } from '../../../../lib/runtime/cache.js';
import { parseConfList } from '../../../../lib/runtime/conf.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
let cacheDir: string;
let stateDir: string;
beforeEach(() => {
  dir = makeTestTempDir('status-ports');
  cacheDir = join(dir, 'cache');
  stateDir = join(dir, 'ports');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function conflist(network: string, portsStateDir = stateDir): string {
  return JSON.stringify({ cniVersion: '1.0.0', name: network, plugins: [{ type: 'zone', portsStateDir, ipam: { type: 'zone-ipam' } }] });
}

function entry(network: string, containerId: string, portMappings?: object[]) {
  return writeCacheEntry(cacheDir, {
    networkName: network,
    containerId,
    ifname: 'eth0',
    config: Buffer.from(conflist(network)),
    netns: `/run/netns/${containerId}`,
    ...(portMappings && { capabilityArgs: { portMappings } }),
    result: {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'vz-x' }, { name: 'eth0', sandbox: `/run/netns/${containerId}` }],
      ips: [
        { address: '10.89.0.2/24', interface: 1 },
        { address: 'fd89::2/64', interface: 1 },
      ],
    },
  });
}

function record(network: string, containerId: string, proxies: ProxyRecord[]): void {
  writeState(stateDir, { owner: { network, containerId, ifname: 'eth0' }, elements: [], proxies });
}

/** Proxies whose pid is listed run; units never. */
function runsFor(pids: number[]) {
  return { runs: async (r: ProxyRecord) => r.via === 'process' && r.pid !== undefined && pids.includes(r.pid) };
}

describe('collectPorts', () => {
  it('lists each cached mapping with the addresses it leads to, and the [::1] listener from its record', async () => {
    await entry('zones', 'web', [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' },
      { hostPort: 8443, containerPort: 443, protocol: 'tcp', hostIP: '::' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp' },
    ]);
    await entry('zones', 'db');
    await entry('other', 'x', [{ hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' }]);
    record('zones', 'web', [{ port: 8080, target: '[fd89::2]:80', via: 'process', pid: 4242 }]);
    const { ports, problems } = await collectPorts({ cacheDir, network: 'zones', proxies: runsFor([4242]) });
    expect(problems).toEqual([]);
    expect(ports).toEqual([
      {
        hostPort: 8080,
        containerPort: 80,
        protocol: 'tcp',
        network: 'zones',
        containerId: 'web',
        ifname: 'eth0',
        containerAddresses: ['10.89.0.2', 'fd89::2'],
        loopback6: { published: true, port: 8080, target: '[fd89::2]:80', via: 'process', pid: 4242, running: true },
      },
      {
        hostPort: 8443,
        containerPort: 443,
        protocol: 'tcp',
        hostIP: '::',
        network: 'zones',
        containerId: 'web',
        ifname: 'eth0',
        containerAddresses: ['fd89::2'],
      },
      {
        hostPort: 5353,
        containerPort: 53,
        protocol: 'udp',
        network: 'zones',
        containerId: 'web',
        ifname: 'eth0',
        containerAddresses: ['10.89.0.2', 'fd89::2'],
        loopback6: { published: false, reason: 'UDP is not published on [::1] (the proxy is stream-only)' },
      },
    ]);
    const all = await collectPorts({ cacheDir, proxies: runsFor([]) });
    expect(all.ports.map((p) => p.containerId)).toEqual(['x', 'web', 'web', 'web']);
    expect(all.ports[1]?.loopback6).toMatchObject({ published: true, running: false });
  });

  it('says when a TCP mapping has no recorded proxy, and lists recorded listeners without a cached mapping', async () => {
    await entry('zones', 'old', [{ hostPort: 8081, containerPort: 80, protocol: 'tcp' }]);
    await entry('zones', 'norecord', [{ hostPort: 8082, containerPort: 80, protocol: 'tcp' }]);
    record('zones', 'old', []);
    record('zones', 'gone', [{ port: 8090, target: '10.89.0.9:80', via: 'systemd', unit: 'cni-zones-proxy-0123456789abcdef-8090' }]);
    const lists = [parseConfList(conflist('zones'))];
    const { ports } = await collectPorts({ cacheDir, lists, proxies: runsFor([]) });
    expect(ports.map((p) => [p.containerId, p.loopback6])).toEqual([
      ['norecord', { published: false, reason: 'no port record for this attachment' }],
      ['old', { published: false, reason: 'no [::1] proxy recorded ("localhost": false, or published before [::1] was)' }],
      [
        'gone',
        {
          published: true,
          port: 8090,
          target: '10.89.0.9:80',
          via: 'systemd',
          unit: 'cni-zones-proxy-0123456789abcdef-8090',
          running: false,
        },
      ],
    ]);
    expect(ports[2]).toMatchObject({
      protocol: 'tcp',
      hostIP: '::1',
      hostPort: 8090,
      containerPort: 80,
      containerAddresses: ['10.89.0.9'],
      recordOnly: true,
    });
  });

  it('reports a record directory it cannot read and still lists the mappings', async () => {
    await entry('zones', 'web', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(stateDir, 'not a directory\n');
    const { ports, problems } = await collectPorts({ cacheDir });
    expect(ports).toHaveLength(1);
    expect(problems).toEqual([expect.stringContaining(stateDir)]);
  });

  it('finds none in an empty cache', async () => {
    expect(await collectPorts({ cacheDir: join(cacheDir, 'missing') })).toEqual({ ports: [], problems: [] });
  });
});
