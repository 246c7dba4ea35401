// What zone-ports DEL leaves behind, in real namespaces with real nftables: nothing of the
// container, whatever mappings the DEL carries and whether the record survived; and
// route_localnet on a zone bridge goes back off with the bridge's last localhost mapping
// (unless it was on before the first one came).

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type Netns, nsExec } from '../support/netns.js';
import { elementsOf, recordsIn } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  createPortsWorld,
  GATEWAY,
  type Mapping,
  type PortsWorld,
  probeMap,
  probesOf,
  portsTools,
  startServer,
  sysctl,
} from '../support/ports-world.js';

const priv = privileged(portsTools);

/** A prevResult for a container that need not exist: zone-ports only reads addresses from it. */
function fakeResult(n: number): CniResult {
  return {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'vz-web' }, { name: `vzclean${n}` }, { name: 'eth0', sandbox: `/run/netns/clean${n}` }],
    ips: [{ address: `10.89.0.${150 + n}/24`, gateway: GATEWAY.v4, interface: 2 }],
  };
}

const mappings: Mapping[] = [
  { hostPort: 8080, containerPort: 80 },
  { hostPort: 8080, containerPort: 80, protocol: 'udp' },
  { hostPort: 8081, containerPort: 80, hostIP: '127.0.0.1' },
];

describe('zone-ports DEL cleans up', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let ct: Netns;
  let result: CniResult;

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    ct = await world.container('ct');
    result = await world.zoneAdd(ct, 'clean-1');
    await startServer(world.sandbox, ct, 'ct');
  }, 120_000);
  afterAll(() => world?.cleanup());

  const forgetRecords = () => recordsIn(world.stateDir).forEach((name) => rmSync(join(world.stateDir, name)));

  priv.it('with "portMappings": [] and no record, removes every element of the container, the 127.0.0.1 one too', async () => {
    await world.portsOk('ADD', { containerId: 'clean-1', container: ct, prevResult: result, mappings });
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 8081, ['tcp']))).toEqual({ 'tcp 127.0.0.1:8081': `ct ${GATEWAY.v4}` });
    const published = await elementsOf(world.host, 'clean-1');
    expect(published).toBeGreaterThan(4);
    forgetRecords();

    await world.portsOk('DEL', { containerId: 'clean-1', container: ct, mappings: [] });
    expect(await elementsOf(world.host, 'clean-1')).toBe(0);
    expect(await probeMap(world.host, [...probesOf(['127.0.0.1'], 8081, ['tcp']), ...probesOf([GATEWAY.v4], 8080, ['tcp'])])).toEqual({
      'tcp 127.0.0.1:8081': 'ECONNREFUSED',
      'tcp 10.89.0.1:8080': 'ECONNREFUSED',
    });
  });

  priv.it('with mappings it cannot parse, or other ones than ADD had, removes exactly what ADD published', async () => {
    await world.portsOk('ADD', { containerId: 'clean-1', container: ct, prevResult: result, mappings });
    await world.portsOk('DEL', { containerId: 'clean-1', mappings: [{ hostPort: 0, containerPort: 80 }] });
    expect(await elementsOf(world.host, 'clean-1')).toBe(0);

    await world.portsOk('ADD', { containerId: 'clean-1', container: ct, prevResult: result, mappings });
    forgetRecords();
    await world.portsOk('DEL', { containerId: 'clean-1', mappings: [{ hostPort: 9999, containerPort: 80 }] });
    expect(await elementsOf(world.host, 'clean-1')).toBe(0);
    expect(recordsIn(world.stateDir)).toEqual([]);
  });

  priv.it('switches route_localnet on the zone bridge back off when its last localhost mapping goes, and only then', async () => {
    const ROUTE_LOCALNET = 'net.ipv4.conf.vz-web.route_localnet';
    expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('0');
    await world.portsOk('ADD', {
      containerId: 'clean-1',
      container: ct,
      prevResult: result,
      mappings: [{ hostPort: 8090, containerPort: 80 }],
    });
    await world.portsOk('ADD', {
      containerId: 'clean-2',
      prevResult: fakeResult(2),
      mappings: [{ hostPort: 8091, containerPort: 80, hostIP: '127.0.0.1' }],
    });
    // a container published everywhere but on localhost needs nothing of it
    await world.portsOk('ADD', {
      containerId: 'clean-3',
      prevResult: fakeResult(3),
      mappings: [{ hostPort: 8092, containerPort: 80 }],
      conf: { localhost: false },
    });
    expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('1');

    await world.portsOk('DEL', { containerId: 'clean-1' });
    expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('1');
    await world.portsOk('DEL', { containerId: 'clean-2' });
    expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('0');
    await world.portsOk('DEL', { containerId: 'clean-3' });

    // switched on by hand, it stays on
    await nsExec(world.host, 'sysctl', ['-q', '-w', `${ROUTE_LOCALNET}=1`]);
    await world.portsOk('ADD', {
      containerId: 'clean-1',
      container: ct,
      prevResult: result,
      mappings: [{ hostPort: 8090, containerPort: 80 }],
    });
    await world.portsOk('DEL', { containerId: 'clean-1' });
    expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('1');
    await nsExec(world.host, 'sysctl', ['-q', '-w', `${ROUTE_LOCALNET}=0`]);
  });
});
