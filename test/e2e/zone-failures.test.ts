// The `zone` plugin (netlink backend) refusing bad input the way the spec asks — exit code 1
// and the right error code on stdout — and leaving no trace: the host namespace (links,
// addresses, routes, nft, forwarding sysctls) and the container namespace are as before, and
// the IPAM store holds no allocation of the failed ADD. Also ADDs that fail late, after the
// bridge and the veth were made: the rollback takes them away again.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { type Netns, ipIn } from '../support/netns.js';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { type PluginOutcome, runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { diffSnapshots, snapshotNamespace } from '../support/root-namespace.js';
import {
  allocations,
  type Attach,
  bundleZone,
  createZoneWorld,
  expectCniError,
  hostVeths,
  nftRuleset,
  settle,
  sysctl,
  type ZoneWorld,
  useZoneBundle,
  zoneTools,
} from '../support/zone-world.js';

const priv = privileged(zoneTools);

const INVALID_CONFIG = 7;
const INVALID_ENVIRONMENT = 4;
const IO_FAILURE = 5;
const RANGE_EXHAUSTED = 110;
const BRIDGE_CONFLICT = 120;
const INTERFACE_EXISTS = 121;

useZoneBundle();

const fixturePlugins = join(repoRoot, 'test/fixtures/plugins');

/**
 * Run `call` as an ADD that must fail with `code`; afterwards host and container look as
 * before and the store holds exactly what it held before.
 */
async function expectCleanFailure(
  world: ZoneWorld,
  container: Netns,
  call: Omit<Attach, 'container'>,
  code: number,
  msg?: RegExp,
): Promise<PluginOutcome> {
  const hostBefore = await snapshotNamespace(world.host);
  const containerBefore = await snapshotNamespace(container);
  const storeBefore = allocations(world.store).sort();
  const outcome = await world.run('ADD', { container, ...call });
  expectCniError(outcome, code, msg);
  expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host)), 'host namespace').toEqual([]);
  expect(diffSnapshots(containerBefore, await snapshotNamespace(container)), 'container namespace').toEqual([]);
  expect(allocations(world.store).sort()).toEqual(storeBefore);
  return outcome;
}

async function freshWorld(options: Parameters<typeof createZoneWorld>[0] = {}) {
  const world = await createZoneWorld(options);
  return { world, ct: await world.container('ct') };
}

priv.describe('zone plugin, netlink backend: bad input', () => {
  priv.it('refuses a zone name that is too long (7)', async () => {
    const { world, ct } = await freshWorld();
    await expectCleanFailure(
      world,
      ct,
      { containerId: 'ctr', conf: world.conf({ zone: 'abcdefghijklm' }) },
      INVALID_CONFIG,
      /invalid zone name/,
    );
  });

  priv.it(
    'refuses zone names with characters an interface name cannot hold (7)',
    async () => {
      const { world, ct } = await freshWorld();
      for (const zone of ['we b', 'web/1', 'web:1', 'web;x', '', 'wéb', '-web', '..']) {
        await expectCleanFailure(world, ct, { containerId: 'ctr', conf: world.conf({ zone }) }, INVALID_CONFIG, /invalid zone name/);
      }
    },
    180_000,
  );

  priv.it('refuses a network name that cannot be a zone name when "zone" is not set (7)', async () => {
    const { world, ct } = await freshWorld({ network: 'a-very-long-network-name' });
    const outcome = await expectCleanFailure(world, ct, { containerId: 'ctr' }, INVALID_CONFIG, /invalid zone name/);
    expect((outcome.json as { details: string }).details).toMatch(/"zone"/);
  });

  priv.it(
    'refuses an invalid subnet (7)',
    async () => {
      const { world, ct } = await freshWorld();
      for (const subnet of ['10.89.0.0/33', 'not-a-subnet', 'fd89::/129']) {
        const conf = world.conf({}, { ranges: [[{ subnet }]] });
        await expectCleanFailure(world, ct, { containerId: 'ctr', conf }, INVALID_CONFIG);
      }
    },
    180_000,
  );

  priv.it('refuses a gateway outside its subnet (7)', async () => {
    const { world, ct } = await freshWorld();
    const conf = world.conf({}, { ranges: [[{ subnet: '10.89.0.0/24', gateway: '10.90.0.1' }], [{ subnet: 'fd89::/64' }]] });
    await expectCleanFailure(world, ct, { containerId: 'ctr', conf }, INVALID_CONFIG, /10\.90\.0\.1/);
  });

  priv.it('refuses a missing "ipam" section (7)', async () => {
    const { world, ct } = await freshWorld();
    const { ipam: _, ...conf } = world.conf();
    await expectCleanFailure(world, ct, { containerId: 'ctr', conf }, INVALID_CONFIG, /ipam/);
  });

  priv.it(
    'refuses a bad MAC from any source (7)',
    async () => {
      const { world, ct } = await freshWorld();
      const calls: Omit<Attach, 'container'>[] = [
        { containerId: 'ctr', conf: world.conf({ runtimeConfig: { mac: 'zz:00:00:00:00:01' } }) },
        { containerId: 'ctr', conf: world.conf({ args: { cni: { mac: '02:00:00:00:01' } } }) },
        { containerId: 'ctr', args: 'MAC=02-00-00-00-00-01' },
        // a multicast address cannot be an interface's own
        { containerId: 'ctr', conf: world.conf({ runtimeConfig: { mac: '01:00:5e:00:00:01' } }) },
      ];
      for (const call of calls) await expectCleanFailure(world, ct, call, INVALID_CONFIG, /MAC/);
    },
    180_000,
  );

  priv.it('refuses an MTU below 1280 in a zone with IPv6 (7), and takes it in an IPv4-only zone', async () => {
    const { world, ct } = await freshWorld({ plugin: { mtu: 1200 } });
    await expectCleanFailure(world, ct, { containerId: 'ctr-mtu' }, INVALID_CONFIG, /mtu 1200 is below 1280.*fd89::\/64/);
    const v4 = await world.add({ container: ct, containerId: 'ctr-mtu', conf: world.conf({}, { ranges: [[{ subnet: '10.89.0.0/24' }]] }) });
    expect(v4.interfaces[2]!.mtu).toBe(1200);
  });

  priv.it('refuses a network namespace that does not exist (4)', async () => {
    const { world } = await freshWorld();
    const hostBefore = await snapshotNamespace(world.host);
    const outcome = await world.run('ADD', { container: '/run/netns/czt-does-not-exist', containerId: 'ctr' });
    expectCniError(outcome, INVALID_ENVIRONMENT, /czt-does-not-exist/);
    expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host))).toEqual([]);
    expect(allocations(world.store)).toEqual([]);
  });

  priv.it('reports an exhausted range with the IPAM code (110) and keeps no address of the other family', async () => {
    // a /30 holds two usable addresses: the gateway's and one container's
    const { world, ct } = await freshWorld({ ranges: [[{ subnet: '10.89.0.0/30' }], [{ subnet: 'fd89::/64' }]] });
    const first = await world.add({ container: await world.container('first'), containerId: 'ctr-first' });
    expect(first.ips.map((ip) => ip.address)).toEqual(['10.89.0.2/30', 'fd89::2/64']);
    await settle(world.host);
    await expectCleanFailure(world, ct, { containerId: 'ctr-second' }, RANGE_EXHAUSTED);
    expect(allocations(world.store).sort()).toEqual(['10.89.0.2', 'fd89::2']);
  });

  priv.it('refuses an ifname that already exists in the container (121) and leaves that interface alone', async () => {
    const { world, ct } = await freshWorld();
    await ipIn(ct, 'link', 'add', 'eth0', 'type', 'bridge');
    await expectCleanFailure(world, ct, { containerId: 'ctr' }, INTERFACE_EXISTS, /eth0 already exists/);
  });

  priv.it('refuses a vz-<zone> that is not a bridge (120) and releases the address it reserved', async () => {
    const { world, ct } = await freshWorld();
    await ipIn(world.host, 'link', 'add', 'vz-web', 'type', 'veth', 'peer', 'name', 'vz-web-peer');
    await expectCleanFailure(world, ct, { containerId: 'ctr' }, BRIDGE_CONFLICT, /vz-web exists but is a veth link/);
    expect(await nftRuleset(world.host)).not.toContain('cni_zones');
  });
});

priv.describe('zone plugin, netlink backend: what a delegated IPAM hands out', () => {
  // The recorder fixture as IPAM: it answers ADD with the given result and records every call.
  const results: [string, object][] = [
    ['an address that is its own gateway', { ips: [{ address: '10.89.0.1/24', gateway: '10.89.0.1' }] }],
    ['a /0 subnet', { ips: [{ address: '10.89.0.2/0', gateway: '10.89.0.1' }] }],
    ['an IPv6 ::/0 subnet', { ips: [{ address: 'fd89::2/0', gateway: 'fd89::1' }] }],
    ['a gateway outside the subnet', { ips: [{ address: '10.89.0.2/24', gateway: '10.90.0.1' }] }],
  ];
  for (const [what, result] of results) {
    priv.it(`refuses ${what} before building anything (7), and releases it again`, async () => {
      const { world, ct } = await freshWorld();
      const records = makeTestTempDir('ipam-records');
      onTestFinished(() => rmSync(records, { recursive: true, force: true }));
      const recordFile = join(records, 'calls');
      const conf = {
        ...world.conf(),
        ipam: { type: 'recorder' },
        recordFile,
        rawOutput: { ADD: JSON.stringify({ cniVersion: '1.1.0', ...result }) },
      };
      const hostBefore = await snapshotNamespace(world.host);
      const containerBefore = await snapshotNamespace(ct);
      const outcome = await runPlugin(await bundleZone(), {
        command: 'ADD',
        containerId: 'ctr-delegated',
        ifname: 'eth0',
        netns: ct.path,
        path: fixturePlugins,
        stdin: conf,
        inNamespace: world.host,
      });
      expectCniError(outcome, INVALID_CONFIG, /IPAM returned/);
      expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host)), 'host namespace').toEqual([]);
      expect(diffSnapshots(containerBefore, await snapshotNamespace(ct)), 'container namespace').toEqual([]);
      const calls = readFileSync(recordFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { command: string }).command);
      expect(calls).toEqual(['ADD', 'DEL']);
    });
  }
});

priv.describe('zone plugin, netlink backend: late failures roll back', () => {
  priv.it('refuses a route through a gateway the container cannot reach before building anything (7)', async () => {
    const { world, ct } = await freshWorld();
    // a gateway that is not on the zone's link: the kernel would refuse the route (ENETUNREACH)
    // after bridge, veth and masquerade were made; it is refused before them
    const conf = world.conf({}, { routes: [{ dst: '192.0.2.0/24', gw: '10.99.0.1' }] });
    await expectCleanFailure(world, ct, { containerId: 'ctr-route', conf }, INVALID_CONFIG, /route to 192\.0\.2\.0\/24 via 10\.99\.0\.1/);
    expect(await nftRuleset(world.host)).not.toContain('cni_zones');
  });

  priv.it('takes away bridge, veth and address when publishing ports fails, and leaves no nft table and no forwarding', async () => {
    const { world, ct } = await freshWorld();
    // the last step fails: ports cannot be recorded. Masquerade and forwarding come after it,
    // so not even an empty table or ip_forward=1 is left behind
    await expectCleanFailure(
      world,
      ct,
      { containerId: 'ctr-ports', conf: portsConf(world, unusableStateDir()) },
      IO_FAILURE,
      /port|record|state/i,
    );
    expect(await nftRuleset(world.host)).not.toContain('cni_zones');
    expect(await sysctl(world.host, 'net.ipv4.ip_forward')).toBe('0');
    expect(await hostVeths(world.host)).toEqual([]);
  });

  priv.it('keeps a bridge it did not make when a later step fails', async () => {
    const { world, ct } = await freshWorld();
    await world.add({ container: await world.container('first'), containerId: 'ctr-first' });
    await settle(world.host);
    const hostBefore = await snapshotNamespace(world.host);
    const outcome = await world.run('ADD', { container: ct, containerId: 'ctr-late', conf: portsConf(world, unusableStateDir()) });
    expect(outcome.exitCode, outcome.stdout).toBe(1);
    expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host))).toEqual([]);
    expect(allocations(world.store).sort()).toEqual(['10.89.0.2', 'fd89::2']);
  });
});

/** A portsStateDir below a regular file: valid as a path, impossible to create. */
function unusableStateDir(): string {
  const dir = makeTestTempDir('ports-blocked');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'file'), '');
  return join(dir, 'file', 'ports');
}

function portsConf(world: ZoneWorld, portsStateDir: string): Record<string, unknown> {
  return world.conf({
    capabilities: { portMappings: true },
    portsStateDir,
    runtimeConfig: { portMappings: [{ hostPort: 18090, containerPort: 80 }] },
  });
}
