// The `zone` plugin never mistakes the host for a container. Run as a runtime runs it inside
// a test "host" namespace, with CNI_NETNS naming that host namespace by several paths (its
// own /proc/self link, /proc/thread-self, the /run/netns bind mount, a symlink, /proc/1 of a
// pid namespace whose PID 1 lives there) or a file that is no namespace at all (FIFO, socket,
// regular file, directory): ADD and CHECK answer with one CNI error (code 4, naming CNI_NETNS)
// within a second, and the host namespace is as before — links, addresses, routes, rules,
// nft, forwarding sysctls — with nothing allocated. DEL never opens CNI_NETNS: with such a
// path it still removes the attachment by its names, and succeeds.

import { expect } from 'vitest';
import { expectProperFailure, hostilePaths, type HostilePaths, pidNamespaceWrapper } from '../support/hostile-inputs.js';
import type { Netns } from '../support/netns.js';
import { type PluginOutcome, runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { diffSnapshots, snapshotNamespace } from '../support/root-namespace.js';
import {
  allocations,
  bundleZone,
  createZoneWorld,
  hostVeths,
  link,
  settle,
  useZoneBundle,
  zoneTools,
  type ZoneWorld,
} from '../support/zone-world.js';

const priv = privileged([...zoneTools, 'unshare', 'mkfifo', 'stat']);

const INVALID_ENVIRONMENT = 4;
/** Plugin start included; the bound the issue sets for a refusal. */
const ANSWER_WITHIN_MS = 1000;

useZoneBundle();

/** Every way of naming a namespace that is not a container's, for a plugin running in `world.host`. */
function hostileNetnsPaths(world: ZoneWorld, files: HostilePaths): [string, string][] {
  return [
    ["the plugin's own /proc/self link", '/proc/self/ns/net'],
    ["the plugin's own /proc/thread-self link", '/proc/thread-self/ns/net'],
    ["the host's /run/netns bind mount", world.host.path],
    ['a symlink to /proc/self/ns/net', files.selfLink],
    ['a FIFO', files.fifo],
    ['a unix socket', files.socket],
    ['a regular file', files.file],
    ['a directory', files.directory],
  ];
}

/** A prevResult that names `netns` as the container's sandbox, so CHECK gets as far as opening it. */
function prevResultIn(netns: string) {
  return {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'vz-web' }, { name: 'vzhost' }, { name: 'eth0', sandbox: netns }],
    ips: [{ address: '10.89.0.2/24', gateway: '10.89.0.1', interface: 2 }],
  };
}

function expectRefusal(outcome: PluginOutcome, what: string): void {
  const error = expectProperFailure(outcome);
  expect(error.code, `${what}: ${outcome.stdout}`).toBe(INVALID_ENVIRONMENT);
  expect(error.msg, what).toContain('CNI_NETNS');
  expect(outcome.durationMs, `${what}: answered after ${Math.round(outcome.durationMs)} ms`).toBeLessThan(ANSWER_WITHIN_MS);
}

/** `run` changes nothing in any of `namespaces` and allocates nothing. */
async function expectNoChange(world: ZoneWorld, namespaces: Netns[], run: () => Promise<void>): Promise<void> {
  const before = await Promise.all(namespaces.map((ns) => snapshotNamespace(ns)));
  await run();
  for (const [i, ns] of namespaces.entries()) {
    expect(diffSnapshots(before[i]!, await snapshotNamespace(ns)), ns.name).toEqual([]);
  }
  expect(allocations(world.store)).toEqual([]);
}

priv.describe('zone plugin: the host is never taken for a container', () => {
  priv.it(
    'refuses ADD and CHECK with the host namespace or a non-namespace as CNI_NETNS, at once, changing nothing',
    async () => {
      const world = await createZoneWorld();
      const files = await hostilePaths();
      await expectNoChange(world, [world.host], async () => {
        for (const [what, netns] of hostileNetnsPaths(world, files)) {
          expectRefusal(await world.run('ADD', { container: netns, containerId: 'ctr-host' }), `ADD, ${what}`);
          const check = world.conf({ prevResult: prevResultIn(netns) });
          expectRefusal(await world.run('CHECK', { container: netns, containerId: 'ctr-host', conf: check }), `CHECK, ${what}`);
        }
      });
    },
    120_000,
  );

  priv.it("refuses /proc/1/ns/net of a pid namespace whose PID 1 shares the plugin's namespace", async () => {
    const world = await createZoneWorld();
    const executable = await bundleZone();
    // PID 1 of a new pid namespace is a shell in the host namespace; the plugin runs beside it
    const nsenter = await pidNamespaceWrapper(world.host, world.host);
    await expectNoChange(world, [world.host], async () => {
      const outcome = await runPlugin(executable, {
        command: 'ADD',
        containerId: 'ctr-init',
        ifname: 'eth0',
        netns: '/proc/1/ns/net',
        path: '/usr/lib/cni',
        stdin: world.conf(),
        nsenter,
      });
      expectRefusal(outcome, '/proc/1/ns/net');
      expect((outcome.json as { details: string }).details).toMatch(/runs in/);
    });
  });

  priv.it("refuses PID 1's namespace even when the plugin itself runs in another one", async () => {
    const world = await createZoneWorld();
    const executable = await bundleZone();
    // PID 1 lives in world.host (the stand-in for the machine), the plugin in a namespace of its own
    const elsewhere = await world.container('plugin');
    const nsenter = await pidNamespaceWrapper(world.host, elsewhere);
    await expectNoChange(world, [world.host, elsewhere], async () => {
      const outcome = await runPlugin(executable, {
        command: 'ADD',
        containerId: 'ctr-init',
        ifname: 'eth0',
        netns: '/proc/1/ns/net',
        path: '/usr/lib/cni',
        stdin: world.conf(),
        nsenter,
      });
      expectRefusal(outcome, 'PID 1 elsewhere');
      expect((outcome.json as { details: string }).details).toMatch(/PID 1/);
    });
  });

  priv.it(
    'DEL with such a CNI_NETNS removes the attachment by its names, touches nothing else, and succeeds',
    async () => {
      const world = await createZoneWorld();
      const files = await hostilePaths();
      // another member keeps the zone (and its isolation pairs, which go with the last member)
      const anchor = await world.add({ container: await world.container('anchor'), containerId: 'ctr-anchor' });
      const anchorAddresses = anchor.ips.map((ip) => ip.address.split('/')[0]).sort();
      for (const [what, netns] of hostileNetnsPaths(world, files)) {
        const ct = await world.container('ct');
        const added = await world.add({ container: ct, containerId: 'ctr-del' });
        const hostVeth = added.interfaces[1]!.name;
        await settle(world.host);
        const before = await snapshotNamespace(world.host);
        const outcome = await world.run('DEL', { container: netns, containerId: 'ctr-del' });
        expect(outcome.exitCode, `DEL, ${what}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
        expect(outcome.durationMs, `DEL, ${what}`).toBeLessThan(ANSWER_WITHIN_MS);
        expect(await link(ct, 'eth0'), what).toBeUndefined();
        expect(
          (await hostVeths(world.host)).map((l) => l.ifname),
          what,
        ).toEqual([anchor.interfaces[1]!.name]);
        expect(allocations(world.store).sort(), what).toEqual(anchorAddresses);
        // in the host only the attachment's own veth went (with its link-local address and routes)
        const changes = diffSnapshots(before, await snapshotNamespace(world.host));
        expect(
          changes.filter((change) => !change.includes(hostVeth)),
          what,
        ).toEqual([]);
      }
    },
    180_000,
  );
});
