// Hairpin by default: a zone plugin that publishes ports itself (the portMappings capability)
// puts its host veth in hairpin mode without being asked, so a container reaches its own
// published port through the host's addresses (with br_netfilter active, DNAT happens on the
// bridge and the frame must go back out the port it came in by); `"hairpin": false` still
// turns it off.

import { expect } from 'vitest';
import { nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import {
  createPortsWorld,
  GATEWAY,
  HOST_UPLINK,
  type Mapping,
  probeMap,
  probesOf,
  portsTools,
  startServer,
} from '../support/ports-world.js';

const priv = privileged([...portsTools, 'bridge']);

const PORT = 8090;
const mappings: Mapping[] = [{ hostPort: PORT, containerPort: 80, protocol: 'tcp' }];

async function hairpinOf(world: Awaited<ReturnType<typeof createPortsWorld>>, hostVeth: string): Promise<boolean | undefined> {
  const { stdout } = await nsExec(world.host, 'bridge', ['-j', '-d', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string; hairpin?: boolean }[]).find((p) => p.ifname === hostVeth)?.hairpin;
}

priv.describe('zone with the portMappings capability: hairpin by default', () => {
  priv.it(
    'a container reaches its own published port through the host; "hairpin": false still means off',
    async () => {
      const world = await createPortsWorld();
      const capability = { hairpin: undefined, capabilities: { portMappings: true }, runtimeConfig: { portMappings: mappings } };

      const ct = await world.container('ct');
      const result = await world.zoneAdd(ct, 'hp-default', capability);
      await startServer(world.sandbox, ct, 'ct');
      expect(await hairpinOf(world, result.interfaces[1]!.name)).toBe(true);
      expect(await probeMap(ct, probesOf([HOST_UPLINK.v4], PORT, ['tcp']))).toEqual({ 'tcp 192.0.2.1:8090': `ct ${GATEWAY.v4}` });

      // the same container, its attachment made again with hairpin turned off explicitly
      const del = await world.zoneRun('DEL', ct, 'hp-default', world.zoneConf(capability));
      expect(del.exitCode, del.stdout).toBe(0);
      const off = await world.zoneAdd(ct, 'hp-off', { ...capability, hairpin: false });
      expect(await hairpinOf(world, off.interfaces[1]!.name)).toBe(false);
    },
    120_000,
  );
});
