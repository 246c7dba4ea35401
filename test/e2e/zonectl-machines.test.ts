// zonectl as the CNI runtime of real systemd-nspawn machines: `zonectl up` makes
// /run/netns/<machine> and attaches it to a zone; nspawn (started with `nsenter --net=` in
// the test's host namespace) joins that namespace. The machines talk to each other and to the
// host, a published port answers on the host's 127.0.0.1, `zonectl status --json` matches
// what ip(8) sees, a broken attachment turns status unhealthy, and `zonectl down` leaves nothing.

import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { type NspawnMachine, startNspawn } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { ipIn, netnsExists, nsenterArgs } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import {
  addresses,
  allocations,
  cacheRecords,
  createZonectlWorld,
  hostPart,
  httpGet,
  links,
  netnsPathOf,
  useZonectlBundles,
  type ZonectlWorld,
} from '../support/zonectl-world.js';
import { poll } from '../support/poll.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'systemd-nspawn', 'busybox']);
useZonectlBundles();
const PAGE = 'hello from a cni-zones test machine';

interface StatusJson {
  healthy: boolean;
  zones: {
    zone: string;
    network: string;
    healthy: boolean;
    problems: string[];
    backend: { configured: string; active?: string };
    bridge: { name: string; present: boolean; up?: boolean; addresses: string[]; ports: string[]; otherPorts: string[]; mac?: string };
    subnets: string[];
    plugins: { ok: boolean };
    attachments: {
      containerId: string;
      ifname: string;
      netns: string;
      netnsPresent: boolean;
      addresses: string[];
      mac?: string;
      hostVeth: string;
      ports: { hostPort: number; containerPort: number; protocol: string }[];
      check: { ok: boolean; error?: string };
    }[];
  }[];
}

async function status(world: ZonectlWorld): Promise<{ exitCode: number | undefined; json: StatusJson }> {
  const run = await world.zonectl(['status', '--json'], { runtime: true });
  expect(run.stderr).toBe('');
  return { exitCode: run.exitCode, json: JSON.parse(run.stdout) as StatusJson };
}

function startMachine(world: ZonectlWorld, machine: string, command: string[], defer = true): NspawnMachine {
  const started = startNspawn(command, {
    root: rootDir,
    hostNetns: world.host,
    machineNetns: netnsPathOf(machine),
    machine,
    ephemeral: true,
  });
  if (defer) world.sandbox.defer(() => started.stop());
  return started;
}

let rootDir: string;

beforeAll(async () => {
  if (suite.canRun) rootDir = await nspawnRoot();
}, 120_000);

suite.describe('zonectl up/down with systemd-nspawn machines', () => {
  it('joins two machines to a zone: reachable from the host, from each other and through a published localhost port', async () => {
    const world = await createZonectlWorld();
    await ipIn(world.host, 'link', 'set', 'lo', 'up');
    const web = await world.up('web', ['--port', '8080:80']);
    const client = await world.up('client');
    // The namespaces are zonectl's, named after the machines.
    expect(await netnsExists(web)).toBe(true);
    const [webAddress] = (await addresses(netnsPathOf(web), 'eth0')).filter((a) => !a.includes(':'));
    expect(webAddress).toMatch(/^10\.89\.0\.\d+\/24$/);
    const webIp = hostPart(webAddress as string);

    startMachine(world, web, ['/bin/httpd', '-f', '-p', '80', '-h', '/www']);
    // From the host namespace, to the machine's zone address.
    const fromHost = await poll('httpd in the machine', 15_000, async () => {
      const got = await httpGet(world.host, `http://${webIp}/`);
      return got.ok ? got.body : undefined;
    });
    expect(fromHost).toBe(PAGE);

    // From the other machine, across the zone bridge (nspawn runs wget in it).
    const fetch = startMachine(world, client, ['/bin/wget', '-q', '-O', '-', `http://${webIp}/`]);
    const fetched = await fetch.process;
    expect(fetched.exitCode, fetched.stderr).toBe(0);
    expect(fetched.stdout.trim()).toBe(PAGE);

    // Through the published port on the host's loopback (zone-ports: DNAT + route_localnet).
    const published = await httpGet(world.host, 'http://127.0.0.1:8080/');
    expect(published).toEqual({ ok: true, body: PAGE });

    const ports = await world.zonectl(['ports', '--json'], { runtime: true });
    expect(JSON.parse(ports.stdout)).toEqual([
      expect.objectContaining({
        hostPort: 8080,
        containerPort: 80,
        protocol: 'tcp',
        containerId: web,
        network: world.network,
        containerAddresses: expect.arrayContaining([webIp]),
      }),
    ]);
  });

  it('reports in status --json what ip(8) sees, and turns unhealthy when an attachment breaks', async () => {
    const world = await createZonectlWorld();
    const web = await world.up('web', ['--port', '8081:80']);
    const db = await world.up('db');

    const healthy = await status(world);
    expect(healthy.exitCode).toBe(0);
    expect(healthy.json.healthy).toBe(true);
    const [zone] = healthy.json.zones;
    expect(zone?.zone).toBe(world.network);
    expect(zone?.backend).toEqual({ configured: 'netlink', active: 'netlink' });
    expect(zone?.subnets).toEqual(['10.89.0.0/24', 'fd89::/64']);
    expect(zone?.plugins.ok).toBe(true);

    const hostLinks = await links(world.host);
    const bridge = hostLinks.find((l) => l.ifname === `vz-${world.network}`);
    expect(bridge).toBeDefined();
    expect(zone?.bridge).toMatchObject({ name: `vz-${world.network}`, present: true, up: true, mac: bridge?.address, otherPorts: [] });
    expect(zone?.bridge.addresses.sort()).toEqual((await addresses(world.host, `vz-${world.network}`)).sort());
    const bridgePorts = hostLinks
      .filter((l) => l.master === `vz-${world.network}`)
      .map((l) => l.ifname)
      .sort();
    expect(zone?.bridge.ports.sort()).toEqual(bridgePorts);

    for (const machine of [web, db]) {
      const attachment = zone?.attachments.find((a) => a.containerId === machine);
      const [eth0] = (await links(netnsPathOf(machine))).filter((l) => l.ifname === 'eth0');
      expect(attachment).toMatchObject({
        ifname: 'eth0',
        netns: netnsPathOf(machine),
        netnsPresent: true,
        mac: eth0?.address,
        check: { ok: true },
      });
      expect(attachment?.addresses.sort()).toEqual((await addresses(netnsPathOf(machine), 'eth0')).sort());
      expect(bridgePorts).toContain(attachment?.hostVeth);
    }
    expect(zone?.attachments.find((a) => a.containerId === web)?.ports).toEqual([{ hostPort: 8081, containerPort: 80, protocol: 'tcp' }]);

    // Take db's IPv4 address away inside its namespace: CHECK fails, status says so and exits 1.
    const [dbV4] = (await addresses(netnsPathOf(db), 'eth0')).filter((a) => !a.includes(':'));
    await ipIn(netnsPathOf(db), 'address', 'del', dbV4 as string, 'dev', 'eth0');
    const broken = await status(world);
    expect(broken.exitCode).toBe(1);
    expect(broken.json.healthy).toBe(false);
    const brokenZone = broken.json.zones[0];
    expect(brokenZone?.attachments.find((a) => a.containerId === web)?.check.ok).toBe(true);
    const dbCheck = brokenZone?.attachments.find((a) => a.containerId === db)?.check;
    expect(dbCheck?.ok).toBe(false);
    expect(dbCheck?.error).toContain(dbV4);
    expect(brokenZone?.problems.join('\n')).toContain(db);

    const human = await world.zonectl(['status'], { runtime: true });
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain(`zone ${world.network}: 1 problem`);
    // CONTAINER, its names in the zone (zonectl up gives the machine its name), IFNAME, …, CHECK
    expect(human.stdout).toMatch(new RegExp(`${db}\\s+${db}\\.${world.network}\\.internal\\s+eth0.*FAILED`));
  });

  it('down removes the attachment and the namespace, leaves no trace, and succeeds again when already down', async () => {
    const world = await createZonectlWorld();
    const web = world.machineName('web');
    const up = await world.zonectl(['up', web, '--network', world.network, '--port', '8082:80', '--json'], { runtime: true });
    expect(up.exitCode, up.stderr).toBe(0);
    const json = JSON.parse(up.stdout) as {
      machine: string;
      netns: string;
      ports: string[];
      result: { cniVersion: string; ips: { address: string }[] };
    };
    expect(json).toMatchObject({ machine: web, network: world.network, netns: netnsPathOf(web), ifname: 'eth0', ports: ['tcp:8082:80'] });
    expect(json.result.cniVersion).toBe('1.1.0');
    expect(json.result.ips.map((ip) => ip.address).sort()).toEqual((await addresses(netnsPathOf(web), 'eth0')).sort());
    const hostVethsBefore = (await links(world.host)).filter((l) => l.master === `vz-${world.network}`);
    expect(hostVethsBefore).toHaveLength(1);
    expect(allocations(world.store)).toHaveLength(2);
    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${web}-eth0`]);
    const nftBefore = await execa('nsenter', [...nsenterArgs(world.host), 'nft', 'list', 'ruleset']);
    expect(nftBefore.stdout).toContain('8082');

    const down = await world.zonectl(['down', web], { runtime: true });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain(`detached from network ${world.network}`);
    expect(await netnsExists(web)).toBe(false);
    expect((await links(world.host)).filter((l) => l.master === `vz-${world.network}`)).toEqual([]);
    expect(allocations(world.store)).toEqual([]);
    expect(cacheRecords(world.cacheDir)).toEqual([]);
    const nftAfter = await execa('nsenter', [...nsenterArgs(world.host), 'nft', 'list', 'ruleset']);
    expect(nftAfter.stdout).not.toContain('8082');

    const again = await world.zonectl(['down', web], { runtime: true });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`${web} is already down`);
  });

  it('refuses a second up of a running machine and replaces a stale attachment whose namespace is gone', async () => {
    const world = await createZonectlWorld();
    const web = await world.up('web');
    const second = await world.zonectl(['up', web, '--network', world.network], { runtime: true });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('already attached');
    expect(second.stderr).toContain('121');
    expect(second.stderr).toContain(`zonectl down ${web}`);

    // A reboot: /run/netns is gone, the cache (on disk) is not.
    await execa('ip', ['netns', 'delete', web]);
    const again = await world.zonectl(['up', web, '--network', world.network], { runtime: true });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('stale attachment');
    expect(allocations(world.store)).toHaveLength(2);
    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${web}-eth0`]);
  });

  describe('failures name the fix', () => {
    it('an unknown network', async () => {
      const world = await createZonectlWorld();
      const machine = world.machineName('x');
      const run = await world.zonectl(['up', machine, '--network', 'nope'], { runtime: true });
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain('no net configuration with name "nope"');
      expect(run.stderr).toContain('fix:');
      expect(await netnsExists(machine)).toBe(false);
    });

    it('a plugin directory without the plugins', async () => {
      const world = await createZonectlWorld();
      const machine = world.machineName('x');
      const run = await world.zonectl([
        'up',
        machine,
        '--network',
        world.network,
        '--conf-dir',
        world.confDir,
        '--cache-dir',
        world.cacheDir,
        '--cni-path',
        world.dir,
      ]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain('failed to find plugin "zone"');
      expect(run.stderr).toContain('zonectl install');
      // The failed ADD took its namespace with it.
      expect(await netnsExists(machine)).toBe(false);
    });
  });
});
