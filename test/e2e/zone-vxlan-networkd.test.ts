// A zone that spans two hosts, networkd backend: two "hosts", each a systemd-networkd sandbox
// (vendor network files in place, as on a real host) running the compiled zone plugin with its
// own IPAM store, joined by a veth underlay (192.0.2.1 and 192.0.2.2, MTU 1500). One subnet,
// each host its own IPAM range, gateway and DHCP pool in it; both hosts serve DHCP and router
// advertisements. networkd makes `vx-web` from our files and floods to the peer; containers on
// the two hosts exchange TCP, UDP and 256 KiB both ways; an nspawn `--network-zone` machine on
// host 1 leases from host 1's pool only, routes IPv6 through host 1 only, and reaches a
// container on host 2; a peer added to the configuration is flooded to after the next ADD and
// pruned after the one that takes it out again (networkd itself never removes flood entries);
// a DEL on host 2 leaves host 1's members working; after the last DEL, `zonectl remove-zone`
// leaves no link, no file of ours, no masquerade and no `bridge cni_zones` on host 2, and
// networkd has forgotten our files; and a configuration without `vxlan` takes the port away.
// Each host has a machine ID of its own, as real hosts do: networkd derives the bridge's MAC from
// it, and two bridges with one MAC on one layer 2 lose their link-local address to DAD.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostVethName } from '../../lib/names/attachment.js';
import {
  EXCHANGE_TCP_PORT,
  EXCHANGED,
  exchange,
  floodPeers,
  KIB256,
  pings,
  SERVER_PAYLOAD_SHA256,
  startExchangeServer,
} from '../support/cross-host-traffic.js';
import { addAddress, createSandbox, createVethPair, ipIn, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { networkctlStatus } from '../support/networkctl.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { type NspawnMachine, startNspawn } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { makeTestTempDir } from '../support/paths.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const tools = [
  'ip',
  'bridge',
  'nsenter',
  'unshare',
  'setpriv',
  'mount',
  'systemd-networkd',
  'networkctl',
  'dbus-daemon',
  'systemd-nspawn',
  'nft',
  'busybox',
];
const suite = privileged(tools);
useZoneBundle();

const ZONE = 'web';
const VNI = 4242;
const runtimeDir = '/run/systemd/network';

interface HostPlan {
  readonly n: 1 | 2;
  readonly underlay: string;
  readonly peer: string;
  readonly gateway4: string;
  readonly gateway6: string;
  readonly range4: [string, string];
  readonly range6: [string, string];
  /** DHCP pool: offset from 10.90.0.0 and size. */
  readonly pool: { offset: number; size: number };
}

// One /24 and one /64 for the zone; host 1 owns .1-.127, host 2 .128-.255.
const PLANS: Record<1 | 2, HostPlan> = {
  1: {
    n: 1,
    underlay: '192.0.2.1',
    peer: '192.0.2.2',
    gateway4: '10.90.0.1',
    gateway6: 'fd90::1',
    range4: ['10.90.0.10', '10.90.0.59'],
    range6: ['fd90::10', 'fd90::59'],
    pool: { offset: 64, size: 32 },
  },
  2: {
    n: 2,
    underlay: '192.0.2.2',
    peer: '192.0.2.1',
    gateway4: '10.90.0.129',
    gateway6: 'fd90::129',
    range4: ['10.90.0.138', '10.90.0.187'],
    range6: ['fd90::138', 'fd90::187'],
    pool: { offset: 192, size: 32 },
  },
};

interface Host {
  readonly plan: HostPlan;
  readonly networkd: NetworkdSandbox;
  readonly ipamDir: string;
  conf(peers?: readonly string[]): object;
}

interface Member {
  readonly host: Host;
  readonly ns: Netns;
  readonly containerId: string;
  readonly address4: string;
  readonly address6: string;
  /** The ADD's result, CHECK's prevResult. */
  readonly result: object;
}

let executable: string;
let tempRoot: string;
let sandbox: Sandbox;
let one: Host;
let two: Host;

function inPool(address: string, plan: HostPlan): boolean {
  const last = Number(address.split('.')[3]);
  return address.startsWith('10.90.0.') && last >= plan.pool.offset && last < plan.pool.offset + plan.pool.size;
}

function zoneConf(plan: HostPlan, ipamDir: string, peers: readonly string[]): object {
  return {
    cniVersion: '1.1.0',
    name: 'web-net',
    type: 'zone',
    zone: ZONE,
    backend: 'networkd',
    nameServer: false,
    dhcpPool: plan.pool,
    vxlan: { vni: VNI, local: plan.underlay, peers },
    ipam: {
      type: 'zone-ipam',
      dataDir: ipamDir,
      ranges: [
        [{ subnet: '10.90.0.0/24', rangeStart: plan.range4[0], rangeEnd: plan.range4[1], gateway: plan.gateway4 }],
        [{ subnet: 'fd90::/64', rangeStart: plan.range6[0], rangeEnd: plan.range6[1], gateway: plan.gateway6 }],
      ],
    },
  };
}

/**
 * Host n: a networkd sandbox with a machine ID of its own (networkd derives the bridge's MAC from
 * it: with one ID for both, host 2's bridge never gets past DAD for its link-local address and
 * sends no router advertisements). networkd reads the ID only when it first needs it, after this.
 */
async function startHost(plan: HostPlan): Promise<Host> {
  const networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  sandbox.defer(() => networkd.stop());
  const machineId = join(tempRoot, `machine-id-${plan.n}`);
  await writeFile(machineId, `${String(plan.n).repeat(32)}\n`);
  await networkd.exec('mount', ['--bind', machineId, '/etc/machine-id']);
  const ipamDir = join(tempRoot, `ipam-${plan.n}`);
  await mkdir(ipamDir);
  return { plan, networkd, ipamDir, conf: (peers = [plan.peer]) => zoneConf(plan, ipamDir, peers) };
}

function cni(host: Host, command: string, ns: Netns, containerId: string, conf: object): Promise<PluginOutcome> {
  return host.networkd.runPlugin(executable, {
    command,
    containerId,
    netns: ns.path,
    ifname: 'eth0',
    path: '/usr/lib/cni',
    stdin: conf,
    timeoutMs: 50_000,
  });
}

async function expectOk(host: Host, outcome: PluginOutcome, what: string): Promise<void> {
  if (outcome.exitCode !== 0) {
    const log = (await host.networkd.log()).split('\n').slice(-40).join('\n');
    expect.fail(`${what} on host ${host.plan.n}: ${outcome.stdout}${outcome.stderr}\nnetworkd:\n${log}`);
  }
}

async function add(host: Host, role: string, conf = host.conf()): Promise<Member> {
  const ns = await sandbox.container(role);
  const containerId = `czt-${process.pid}-vxn-${role}`;
  const outcome = await cni(host, 'ADD', ns, containerId, conf);
  await expectOk(host, outcome, `ADD ${role}`);
  const ips = (outcome.json as { ips: { address: string }[] }).ips.map((ip) => ip.address.split('/')[0] as string);
  return {
    host,
    ns,
    containerId,
    result: outcome.json as object,
    address4: ips.find((ip) => !ip.includes(':')) ?? '',
    address6: ips.find((ip) => ip.includes(':')) ?? '',
  };
}

async function del(member: Member, conf = member.host.conf()): Promise<void> {
  await expectOk(member.host, await cni(member.host, 'DEL', member.ns, member.containerId, conf), `DEL ${member.containerId}`);
}

interface IpLink {
  ifname: string;
  mtu: number;
  master?: string;
  address?: string;
}

async function links(host: Host): Promise<IpLink[]> {
  return JSON.parse((await ipIn(host.networkd.host, '-j', 'link', 'show')).stdout) as IpLink[];
}

async function mtuOf(ns: Netns, name: string): Promise<number | undefined> {
  const [link] = JSON.parse((await ipIn(ns, '-j', 'link', 'show', name)).stdout) as IpLink[];
  return link?.mtu;
}

/** The zone's links on a host: bridge, VXLAN port, container veths, nspawn's machine veths. */
async function zoneLinks(host: Host): Promise<string[]> {
  return (await links(host))
    .map((l) => l.ifname)
    .filter((name) => /^v[xzb]-|^vz[0-9a-f]{13}$/.test(name))
    .sort();
}

/** The link's IPv6 link-local address, once past duplicate address detection. */
function linkLocalOf(host: Host, name: string): Promise<string> {
  return poll(`a link-local address on ${name} of host ${host.plan.n}`, 10_000, async () => {
    const { stdout } = await ipIn(host.networkd.host, '-6', '-o', 'address', 'show', 'dev', name, 'scope', 'link');
    const line = stdout.split('\n').find((l) => l.includes(' fe80:'));
    return line && !line.includes('tentative') ? /inet6 (\S+)\//.exec(line)?.[1] : undefined;
  });
}

/** The subnets networkd masquerades (IPMasquerade= of our .network) on a host. */
async function masqueradedSubnets(host: Host): Promise<string[]> {
  const result = await host.networkd.exec('nft', ['-j', 'list', 'set', 'ip', 'io.systemd.nat', 'masq_saddr'], { reject: false });
  if (result.exitCode !== 0) return [];
  const set = (JSON.parse(String(result.stdout)) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables.find((e) => e.set)?.set;
  return (set?.elem ?? []).map((elem) => JSON.stringify(elem));
}

/** Our files in the host's runtime network directory (names only). */
async function ourFiles(host: Host): Promise<string[]> {
  return (await readdir(host.networkd.runtimeNetworkPath)).filter((name) => name.includes('cni-zones')).sort();
}

async function vxlanNetworkFile(host: Host): Promise<string> {
  return readFile(join(host.networkd.runtimeNetworkPath, '71-cni-zones-vx-web.network'), 'utf8');
}

// ---- the nspawn machine ----

/**
 * The machine on host 1: a lease on host0 (retried until it comes from the zone's subnet), then
 * three more DHCP exchanges whose answers go to /shared/leases, its routes kept fresh in
 * /shared, httpd on port 80, and a TCP read of the exchange server at the address /shared/peer
 * names (sending nothing: the server answers the digest of nothing, then its 256 KiB).
 */
const machineScript = `
until udhcpc -i host0 -n -q -t 3 -T 1 >/dev/null 2>&1 && ip -4 addr show dev host0 | grep -q 'inet 10\\.90\\.0\\.'; do sleep 0.3; done
ip -4 -o addr show dev host0 | sed -n 's/.* inet \\([0-9.]*\\)\\/.*/\\1/p' > /shared/ip.tmp && mv /shared/ip.tmp /shared/ip
for i in 1 2 3; do udhcpc -i host0 -n -q -t 3 -T 1 -s /bin/true 2>&1 | grep 'obtained from' >> /shared/leases.tmp; done
mv /shared/leases.tmp /shared/leases
httpd -p 80 -h /www
while :; do
  ip -4 route show default > /shared/route4.tmp && mv /shared/route4.tmp /shared/route4
  ip -6 route show default > /shared/route6.tmp && mv /shared/route6.tmp /shared/route6
  ip -6 -o addr show dev host0 scope global > /shared/ip6.tmp && mv /shared/ip6.tmp /shared/ip6
  if [ -s /shared/peer ] && [ ! -e /shared/fetched ]; then
    nc -w 5 "$(cat /shared/peer)" ${EXCHANGE_TCP_PORT} </dev/null > /shared/fetched.tmp 2>/dev/null
    mv /shared/fetched.tmp /shared/fetched
  fi
  sleep 0.3
done
`;

interface Machine {
  readonly machine: NspawnMachine;
  readonly shared: string;
  output(): string;
}

async function startMachine(host: Host): Promise<Machine> {
  const shared = join(tempRoot, `shared-${host.plan.n}`);
  await mkdir(shared);
  const machine = startNspawn(['/bin/busybox', 'sh', '-c', machineScript], {
    root: await nspawnRoot(),
    nsenter: host.networkd.nsenterOptions,
    networkZone: ZONE,
    ephemeral: true,
    extraArgs: [`--bind=${shared}:/shared`],
  });
  sandbox.defer(() => machine.stop());
  let output = '';
  machine.process.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  machine.process.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { machine, shared, output: () => output };
}

async function sharedFile(machine: Machine, name: string): Promise<string | undefined> {
  const path = join(machine.shared, name);
  if (!existsSync(path)) return undefined;
  const text = (await readFile(path, 'utf8')).trim();
  return text === '' ? undefined : text;
}

async function diagnose(machine: Machine): Promise<string> {
  const addresses = await one.networkd.exec('ip', ['-br', 'address'], { reject: false });
  return `host 1 links:\n${addresses.stdout}\nmachine output: ${machine.output()}`;
}

// An HTTP client in node: the static busybox's wget crashes (SIGSEGV) on this machine.
const httpGet = `
require('node:http').get(process.argv[1], { timeout: 5000 }, (res) => {
  let body = ''; res.on('data', (chunk) => (body += chunk)); res.on('end', () => process.stdout.write(body));
}).on('error', (e) => { console.error(e.message); process.exit(2); }).on('timeout', () => { console.error('timeout'); process.exit(3); });`;

async function fetchPage(from: Netns, address: string): Promise<string> {
  const result = await nsExec(from, process.execPath, ['-e', httpGet, `http://${address}/`], { reject: false, timeout: 20_000 });
  return result.exitCode === 0 ? result.stdout.trim() : `fetch failed: ${result.stderr}`;
}
const machinePage = 'hello from a cni-zones test machine';

// ---- the two hosts ----

beforeAll(async () => {
  if (!suite.canRun) return;
  executable = await bundleZone();
  tempRoot = makeTestTempDir('zone-vxlan-networkd');
  await nspawnRoot();
  sandbox = await createSandbox();
  one = await startHost(PLANS[1]);
  two = await startHost(PLANS[2]);
  await createVethPair(one.networkd.host, two.networkd.host, { nameA: 'under0', nameB: 'under0' });
  await addAddress(one.networkd.host, 'under0', '192.0.2.1/24');
  await addAddress(two.networkd.host, 'under0', '192.0.2.2/24');
}, 180_000);

afterAll(async () => {
  await sandbox?.cleanup();
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

suite.describe('zone plugin: a zone across two hosts over VXLAN (networkd backend, nspawn machines)', () => {
  let a1: Member;
  let b1: Member;
  let b2: Member;
  let machine: Machine;

  it('networkd makes vx-web from our files, floods to the peer, and every link of the zone has the underlay MTU less 50', async () => {
    a1 = await add(one, 'a1');
    b1 = await add(two, 'b1');
    b2 = await add(two, 'b2');
    expect([a1.address4, a1.address6]).toEqual(['10.90.0.10', 'fd90::10']);
    expect([b1.address4, b1.address6]).toEqual(['10.90.0.138', 'fd90::138']);

    for (const host of [one, two]) {
      expect(await ourFiles(host)).toEqual([
        '70-cni-zones-web.netdev',
        '70-cni-zones-web.network',
        '71-cni-zones-vx-web.netdev',
        '71-cni-zones-vx-web.network',
      ]);
      expect(await networkctlStatus(host.networkd, 'vx-web')).toMatchObject({
        Kind: 'vxlan',
        AdministrativeState: 'configured',
        OperationalState: 'enslaved',
        NetworkFile: `${runtimeDir}/71-cni-zones-vx-web.network`,
      });
      expect((await links(host)).find((l) => l.ifname === 'vx-web')?.master).toBe('vz-web');
      expect(await floodPeers(host.networkd.host, 'vx-web')).toEqual([host.plan.peer]);
      expect(await masqueradedSubnets(host)).not.toEqual([]);
      const { stdout } = await ipIn(host.networkd.host, '-d', '-j', 'link', 'show', 'vx-web');
      const [vx] = JSON.parse(stdout) as { linkinfo: { info_data: { id: number; local: string; port: number } } }[];
      expect(vx?.linkinfo.info_data).toMatchObject({ id: VNI, local: host.plan.underlay, port: 4789 });
    }
    // the bridges differ in MAC, so each host's router advertisements are told apart
    expect(await linkLocalOf(one, 'vz-web')).not.toBe(await linkLocalOf(two, 'vz-web'));

    for (const [ns, name] of [
      [one.networkd.host, 'vz-web'],
      [one.networkd.host, 'vx-web'],
      [one.networkd.host, hostVethName(a1.containerId, 'eth0')],
      [a1.ns, 'eth0'],
      [two.networkd.host, 'vz-web'],
      [two.networkd.host, 'vx-web'],
      [two.networkd.host, hostVethName(b1.containerId, 'eth0')],
      [b1.ns, 'eth0'],
    ] as const) {
      expect(await mtuOf(ns, name), name).toBe(1450);
    }

    const check = await cni(one, 'CHECK', a1.ns, a1.containerId, { ...one.conf(), prevResult: a1.result });
    expect(check.exitCode, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it('containers on the two hosts exchange TCP and UDP both ways, 256 KiB intact, v4 and v6, and reach their own gateway', async () => {
    await startExchangeServer(sandbox, a1.ns);
    await startExchangeServer(sandbox, b1.ns);
    expect(await exchange(b1.ns, a1.address4)).toEqual(EXCHANGED);
    expect(await exchange(a1.ns, b1.address4)).toEqual(EXCHANGED);
    expect(await exchange(b1.ns, a1.address6)).toEqual(EXCHANGED);
    expect(await exchange(a1.ns, b1.address6)).toEqual(EXCHANGED);
    expect(await pings(a1.ns, PLANS[1].gateway4)).toBe(true);
    expect(await pings(b1.ns, PLANS[2].gateway4)).toBe(true);
  });

  it("an nspawn machine on host 1 leases from host 1's pool, routes through host 1 only, and reaches a container on host 2", async () => {
    machine = await startMachine(one);
    const address = await poll(
      'the machine to get a lease',
      45_000,
      () => sharedFile(machine, 'ip'),
      () => diagnose(machine),
    );
    expect(inPool(address, PLANS[1]), `${address} in host 1's pool`).toBe(true);
    const leases = (
      await poll(
        'three more leases',
        45_000,
        () => sharedFile(machine, 'leases'),
        () => diagnose(machine),
      )
    ).split('\n');
    expect(leases).toHaveLength(3);
    for (const lease of leases) {
      const [, leased, server] = /lease of (\S+) obtained from (\S+),/.exec(lease) ?? [];
      expect(server, lease).toBe(PLANS[1].gateway4);
      expect(inPool(leased ?? '', PLANS[1]), lease).toBe(true);
    }
    expect(await poll("the machine's IPv4 routes", 10_000, () => sharedFile(machine, 'route4'))).toMatch(
      /^default via 10\.90\.0\.1 dev host0/,
    );

    // IPv6: SLAAC from the RAs of host 1, and host 1 its only router, even once host 2 announced
    // itself anew (networkd restarts its RA sender: multicast RAs to every port)
    const hostOneRouter = await linkLocalOf(one, 'vz-web');
    await poll('the machine to take a SLAAC address', 45_000, async () =>
      (await sharedFile(machine, 'ip6'))?.includes('fd90:') ? true : undefined,
    );
    await two.networkd.exec('networkctl', ['reconfigure', 'vz-web']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const routes6 = (await sharedFile(machine, 'route6'))?.split('\n') ?? [];
    expect(routes6.map((line) => /via (\S+)/.exec(line)?.[1])).toEqual([hostOneRouter]);

    // the machine reads 256 KiB from the container on host 2; that container fetches its page
    await writeFile(join(machine.shared, 'peer'), `${b1.address4}\n`);
    const fetched = await poll('the machine to read from the container on host 2', 45_000, async () =>
      existsSync(join(machine.shared, 'fetched')) ? readFile(join(machine.shared, 'fetched')) : undefined,
    );
    expectExchangeAnswer(fetched);
    expect(await fetchPage(b1.ns, address)).toBe(machinePage);
  });

  it('a peer added to the configuration is flooded to after the next ADD and pruned after the one that takes it out', async () => {
    const three = [PLANS[1].peer, '192.0.2.3'];
    const a2 = await add(one, 'a2', one.conf(three));
    expect(await floodPeers(one.networkd.host, 'vx-web')).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(await vxlanNetworkFile(one)).toContain('Destination=192.0.2.3');
    expect(await networkctlStatus(one.networkd, 'vx-web')).toMatchObject({ AdministrativeState: 'configured' });
    expect(await exchange(a1.ns, b1.address4)).toEqual(EXCHANGED);

    await del(a2, one.conf(three));
    const a3 = await add(one, 'a3');
    expect(await floodPeers(one.networkd.host, 'vx-web')).toEqual(['192.0.2.2']);
    expect(await vxlanNetworkFile(one)).not.toContain('192.0.2.3');
    expect(await networkctlStatus(one.networkd, 'vx-web')).toMatchObject({ AdministrativeState: 'configured' });
    expect(await exchange(a1.ns, b1.address4)).toEqual(EXCHANGED);
    expect(await exchange(b1.ns, a1.address6)).toEqual(EXCHANGED);
    await del(a3);
  });

  it("a DEL on host 2 leaves host 1's members working; the last DEL and remove-zone leave nothing of the zone on host 2", async () => {
    const machineAddress = (await sharedFile(machine, 'ip')) ?? '';
    await del(b2);
    expect(await exchange(a1.ns, b1.address4)).toEqual(EXCHANGED);
    await del(b1);
    expect(await zoneLinks(two)).toEqual(['vx-web', 'vz-web']);
    expect(await fetchPage(a1.ns, machineAddress)).toBe(machinePage);

    const zonectl = (host: Host, ...args: string[]) =>
      host.networkd.exec(join(dirname(executable), 'cni-zones'), ['zonectl', ...args], { reject: false, timeoutMs: 30_000 });
    const refused = await zonectl(one, 'remove-zone', ZONE, '--network-dir', runtimeDir);
    expect(refused.exitCode).toBe(1);
    const removal = await zonectl(two, 'remove-zone', ZONE, '--network-dir', runtimeDir);
    expect(removal.exitCode, String(removal.stderr)).toBe(0);
    expect(removal.stdout).toBe('zone web: removed vx-web, vz-web');
    expect(await zoneLinks(two)).toEqual([]);
    expect(await ourFiles(two)).toEqual([]);
    expect((await two.networkd.exec('nft', ['list', 'tables'])).stdout).not.toMatch(/bridge cni_zones/);
    expect(await masqueradedSubnets(two)).toEqual([]);
    // networkd forgot our files (remove-zone reloaded it): a bridge nspawn would make for the zone
    // now gets the vendor's settings, not our gateways and pool
    await ipIn(two.networkd.host, 'link', 'add', 'vz-web', 'type', 'bridge');
    const status = await poll('networkd to take up a new vz-web', 15_000, async () => {
      const found = await networkctlStatus(two.networkd, 'vz-web');
      return found.NetworkFile ? found : undefined;
    });
    expect(status.NetworkFile).toBe('/usr/lib/systemd/network/80-container-vz.network');
    await ipIn(two.networkd.host, 'link', 'del', 'vz-web');

    // host 1 keeps its zone: its container and its machine still talk, and reach the gateway
    expect(await zoneLinks(one)).toEqual(expect.arrayContaining(['vx-web', 'vz-web']));
    expect(await fetchPage(a1.ns, machineAddress)).toBe(machinePage);
    expect(await pings(a1.ns, PLANS[1].gateway4)).toBe(true);
  });

  it('a zone whose configuration loses vxlan loses its VXLAN port, files and bridge table with the next ADD', async () => {
    const { vxlan: _, ...single } = one.conf() as { vxlan: unknown };
    const a4 = await add(one, 'a4', single);
    expect(await zoneLinks(one)).not.toContain('vx-web');
    expect(await ourFiles(one)).toEqual(['70-cni-zones-web.netdev', '70-cni-zones-web.network']);
    expect((await one.networkd.exec('nft', ['list', 'tables'])).stdout).not.toMatch(/bridge cni_zones/);
    expect(await fetchPage(a4.ns, (await sharedFile(machine, 'ip')) ?? '')).toBe(machinePage);
    expect(await exchange(a4.ns, a1.address4)).toEqual(EXCHANGED);
    await del(a4, single);
  });
});

/** What the exchange server answers a client that sends nothing: the digest of nothing, then its 256 KiB. */
function expectExchangeAnswer(received: Buffer): void {
  const newline = received.indexOf(10);
  expect(received.subarray(0, newline).toString()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const payload = received.subarray(newline + 1);
  expect(payload.length).toBe(KIB256);
  expect(createHash('sha256').update(payload).digest('hex')).toBe(SERVER_PAYLOAD_SHA256);
}
