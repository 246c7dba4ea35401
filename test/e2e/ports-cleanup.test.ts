// What zone-ports DEL leaves behind, in real namespaces with real nftables: nothing of the
// container, whatever mappings the DEL carries and whether the record survived; and
// route_localnet on a zone bridge goes back off with the bridge's last localhost mapping.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Netns } from '../support/netns.js';
import { elementsOf, filesIn } from '../support/ports-census.js';
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
} from '../support/ports-world.js';

const priv = privileged(portsTools);

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

  const forgetRecords = () => filesIn(world.stateDir).forEach((name) => rmSync(join(world.stateDir, name)));

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
    expect(filesIn(world.stateDir)).toEqual([]);
  });
});
