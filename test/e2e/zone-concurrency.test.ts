// The `zone` plugin (netlink backend) under concurrency a runtime produces: many ADDs and
// DELs of one zone at once (the first ones race to create the bridge), and ADDs killed with
// SIGKILL at random points (a runtime's timeout), each followed by the DEL a runtime sends
// after a failed ADD — which must leave nothing behind, and the container must be attachable
// again.

import { execa } from 'execa';
import { expect } from 'vitest';
import { type Netns, nsenterArgs } from '../support/netns.js';
import { pluginEnvironment } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import {
  addresses,
  allocations,
  bundleZone,
  createZoneWorld,
  hostPart,
  hostVeths,
  link,
  nftRuleset,
  peerSeenBy,
  startPeerServer,
  storeFiles,
  useZoneBundle,
  zoneTools,
} from '../support/zone-world.js';

const priv = privileged(zoneTools);
const PARALLEL = 16;

useZoneBundle();

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

priv.describe('zone plugin, netlink backend: concurrency', () => {
  priv.it(
    `runs ${PARALLEL} ADDs and then ${PARALLEL} DELs of one zone in parallel`,
    async () => {
      const world = await createZoneWorld();
      const containers: Netns[] = [];
      for (const i of range(PARALLEL)) containers.push(await world.container(`p${i}`));

      const results = await Promise.all(containers.map((ct, i) => world.add({ container: ct, containerId: `ctr-par-${i}` })));
      const v4 = results.map((r) => r.ips.find((ip) => !ip.address.includes(':'))!.address);
      const v6 = results.map((r) => r.ips.find((ip) => ip.address.includes(':'))!.address);
      expect(new Set(v4).size).toBe(PARALLEL);
      expect(new Set(v6).size).toBe(PARALLEL);
      expect(allocations(world.store)).toHaveLength(2 * PARALLEL);
      // one bridge, one set of gateway addresses, one set of masquerade elements
      expect((await addresses(world.host, 'vz-web')).sort()).toEqual(['10.89.0.1/24', 'fd89::1/64']);
      expect((await nftRuleset(world.host)).match(/10\.89\.0\.0\/24 comment "zone:web"/g)).toHaveLength(1);
      const ports = await hostVeths(world.host);
      expect(ports).toHaveLength(PARALLEL);
      expect(ports.every((p) => p.master === 'vz-web')).toBe(true);

      await startPeerServer(world.sandbox, world.host);
      const seen = await Promise.all(containers.flatMap((ct) => [peerSeenBy(ct, '10.89.0.1'), peerSeenBy(ct, 'fd89::1')]));
      expect(seen).toEqual(containers.flatMap((_, i) => [hostPart(v4[i]!), hostPart(v6[i]!)]));

      await Promise.all(containers.map((ct, i) => world.del({ container: ct, containerId: `ctr-par-${i}` })));
      expect(await hostVeths(world.host)).toEqual([]);
      for (const ct of containers) expect(await link(ct, 'eth0')).toBeUndefined();
      expect(storeFiles(world.store)).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
      expect(await link(world.host, 'vz-web')).toBeDefined();
    },
    180_000,
  );

  priv.it(
    'leaves nothing behind when an ADD is killed at a random point and DEL follows',
    async () => {
      const world = await createZoneWorld();
      const executable = await bundleZone();
      const ct = await world.container('killed');
      const conf = world.conf();
      const env = pluginEnvironment({ command: 'ADD', containerId: 'ctr-killed', netns: ct.path, ifname: 'eth0', path: '/usr/lib/cni' });

      // How long a whole ADD takes here, so the kill points spread over all of it.
      const started = performance.now();
      await world.add({ container: ct, containerId: 'ctr-killed', conf });
      const fullAdd = performance.now() - started;
      await world.del({ container: ct, containerId: 'ctr-killed', conf });
      const span = Math.max(300, 1.2 * fullAdd);

      const rounds = 20;
      const outcomes: string[] = [];
      for (const round of range(rounds)) {
        const delay = Math.round(((round + Math.random()) / rounds) * span);
        const child = execa('nsenter', [...nsenterArgs(world.host), executable], {
          input: JSON.stringify(conf),
          env,
          extendEnv: false,
          reject: false,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill('SIGKILL');
        const ended = await child;
        outcomes.push(`${delay} ms: ${ended.signal ?? `exit ${ended.exitCode}`}`);

        const del = await world.run('DEL', { container: ct, containerId: 'ctr-killed', conf });
        expect(del.exitCode, `DEL after a kill at ${delay} ms: ${del.stdout}`).toBe(0);
        const what = `after a kill at ${delay} ms`;
        expect(await hostVeths(world.host), what).toEqual([]);
        expect(await link(ct, 'eth0'), what).toBeUndefined();
        expect(allocations(world.store), what).toEqual([]);
      }
      // The container can be attached again, and the zone works.
      const again = await world.add({ container: ct, containerId: 'ctr-killed', conf });
      await startPeerServer(world.sandbox, world.host);
      expect(await peerSeenBy(ct, '10.89.0.1')).toBe(hostPart(again.ips[0]!.address));
      await world.del({ container: ct, containerId: 'ctr-killed', conf });
      // A kill inside IPAM's reserve() may leave its private temp file (.tmp-<pid>-…), which no
      // reader takes for an allocation; anything else would be debris.
      expect(
        storeFiles(world.store).filter((f) => !f.startsWith('.tmp-')),
        outcomes.join(', '),
      ).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
      // the kill points really spread over the ADD: some runs were killed, some ran through
      expect(
        outcomes.some((o) => o.includes('SIGKILL')),
        outcomes.join(', '),
      ).toBe(true);
    },
    180_000,
  );

  priv.it('runs parallel ADDs into two zones of one host', async () => {
    const world = await createZoneWorld();
    const zones = ['alpha', 'beta'];
    const cts: { ct: Netns; zone: string; id: string }[] = [];
    for (const zone of zones)
      for (const i of range(4)) cts.push({ ct: await world.container(`${zone[0]}${i}`), zone, id: `ctr-${zone}-${i}` });
    const subnet = (zone: string) => (zone === 'alpha' ? 1 : 2);
    const results = await Promise.all(
      cts.map(({ ct, zone, id }) =>
        world.add({
          container: ct,
          containerId: id,
          conf: {
            ...world.conf({ zone }, { ranges: [[{ subnet: `10.89.${subnet(zone)}.0/24` }]] }),
            name: zone,
          },
        }),
      ),
    );
    for (const [i, { zone }] of cts.entries()) {
      expect(results[i]!.interfaces[0]!.name).toBe(`vz-${zone}`);
      expect(results[i]!.ips[0]!.address).toMatch(new RegExp(`^10\\.89\\.${subnet(zone)}\\.`));
    }
    for (const zone of zones) expect(await addresses(world.host, `vz-${zone}`)).toEqual([`10.89.${subnet(zone)}.1/24`]);
    const ruleset = await nftRuleset(world.host);
    for (const zone of zones) expect(ruleset).toContain(`10.89.${subnet(zone)}.0/24 comment "zone:${zone}"`);
    // concurrent transactions each rewrite the shared chain: it still holds its four rules once
    expect(ruleset.match(/masquerade$|return$/gm)).toHaveLength(4);
  });
});
