import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectPorts } from '../../../../cli/zonectl/status/ports.js';
import { writeCacheEntry } from '../../../../lib/runtime/cache.js';
import { makeTestTempDir } from '../../../support/paths.js';

let cacheDir: string;
beforeEach(() => {
  cacheDir = makeTestTempDir('status-ports');
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

function entry(network: string, containerId: string, portMappings?: object[]) {
  return writeCacheEntry(cacheDir, {
    networkName: network,
    containerId,
    ifname: 'eth0',
    config: Buffer.from('{}'),
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

describe('collectPorts', () => {
  it('lists each cached mapping with the addresses it leads to', async () => {
    await entry('zones', 'web', [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' },
      { hostPort: 8443, containerPort: 443, protocol: 'tcp', hostIP: '::' },
    ]);
    await entry('zones', 'db');
    await entry('other', 'x', [{ hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' }]);
    expect(await collectPorts(cacheDir, 'zones')).toEqual([
      {
        hostPort: 8080,
        containerPort: 80,
        protocol: 'tcp',
        network: 'zones',
        containerId: 'web',
        ifname: 'eth0',
        containerAddresses: ['10.89.0.2', 'fd89::2'],
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
    ]);
    expect((await collectPorts(cacheDir)).map((p) => p.containerId)).toEqual(['x', 'web', 'web']);
  });

  it('finds none in an empty cache', async () => {
    expect(await collectPorts(join(cacheDir, 'missing'))).toEqual([]);
  });
});
