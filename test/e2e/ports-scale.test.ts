// zone-ports with thousands of mappings, as podman makes from a port range: ADD publishes every
// one, DEL takes every one away again, by the record or, without it, by the owner tag. How long
// that takes is for `make bench` and the reports to say, not for a test to assert.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { elementsOf, filesIn } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import { type CniResult, createPortsWorld, GATEWAY, type Mapping, type PortsWorld, portsTools } from '../support/ports-world.js';

const priv = privileged(portsTools);

const PORTS = 2500;
const FIRST_PORT = 20_000;

/** PORTS ports, each in TCP and UDP: 2 × PORTS mappings. */
const manyMappings: Mapping[] = Array.from({ length: PORTS }, (_, i) => [
  { hostPort: FIRST_PORT + i, containerPort: 80, protocol: 'tcp' },
  { hostPort: FIRST_PORT + i, containerPort: 80, protocol: 'udp' },
]).flat();

/** A container that need not exist, with an address of each family: every mapping is a claim in both. */
function dualStack(n: number): CniResult {
  return {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'vz-web' }, { name: `vzscale${n}` }, { name: 'eth0', sandbox: `/run/netns/scale${n}` }],
    ips: [
      { address: `10.89.0.${200 + n}/24`, gateway: GATEWAY.v4, interface: 2 },
      { address: `fd89::${200 + n}/64`, gateway: GATEWAY.v6, interface: 2 },
    ],
  };
}

// The nft side at scale: no [::1] proxy per TCP port (the documented way to publish thousands).
const IPV4_LOCALHOST = { localhost: 'ipv4' };

// 2 families × 2 × PORTS claims, one target address per family.
const OWNED = 4 * PORTS + 2;

describe('zone-ports at scale', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };

  beforeAll(async () => {
    if (priv.canRun) world = await createPortsWorld({ scope: 'manual' });
  }, 120_000);
  afterAll(() => world?.cleanup());

  priv.it(`publishes ${2 * PORTS} mappings and DEL removes all of them by the record`, async () => {
    await world.portsOk('ADD', { containerId: 'scale-1', prevResult: dualStack(1), mappings: manyMappings, conf: IPV4_LOCALHOST });
    expect(await elementsOf(world.host, 'scale-1')).toBe(OWNED);
    expect(filesIn(world.stateDir)).toHaveLength(1);

    await world.portsOk('DEL', { containerId: 'scale-1', mappings: manyMappings });
    expect(await elementsOf(world.host, 'scale-1')).toBe(0);
    expect(filesIn(world.stateDir)).toEqual([]);
  });

  priv.it(`without its record, DEL with no mappings still finds all ${2 * PORTS} by their tag`, async () => {
    await world.portsOk('ADD', { containerId: 'scale-2', prevResult: dualStack(2), mappings: manyMappings, conf: IPV4_LOCALHOST });
    await world.portsOk('ADD', {
      containerId: 'scale-3',
      prevResult: dualStack(3),
      mappings: [{ hostPort: 19_999, containerPort: 80 }],
      conf: IPV4_LOCALHOST,
    });
    for (const name of filesIn(world.stateDir)) rmSync(join(world.stateDir, name));

    await world.portsOk('DEL', { containerId: 'scale-2', mappings: [] });
    expect(await elementsOf(world.host, 'scale-2')).toBe(0);
    expect(await elementsOf(world.host, 'scale-3')).toBe(4); // tcp/19999 in both families, and both targets
  });
});
