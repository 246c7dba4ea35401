// The `zone` plugin with the networkd backend, as a runtime runs it: the compiled zone,
// one process per command, inside a systemd-networkd sandbox (its own net, mount and pid
// namespaces, private /run and D-Bus, the vendor 80-container-*.network files in place).
// networkd must build the zone bridge from our files and say so itself (networkctl, its log,
// its nat table, a DHCP lease); containers on the zone must talk TCP; a bridge that exists
// before the first ADD is adopted; a stopped or hung networkd fails the ADD cleanly.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { hostVethName } from '../../lib/names/attachment.js';
import { createSandbox, createVethPair, ipIn, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { complaintsAbout, networkctlStatus, staticAddresses } from '../support/networkctl.js';
import { makeTestTempDir } from '../support/paths.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const tools = ['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'nft', 'busybox', 'ss'];
const suite = privileged(tools);
useZoneBundle();
/** A private copy of the compiled zone, freshly built (test/support/bundles.ts). */
let ZONE: string;
const runtimeDir = '/run/systemd/network';
const etcDir = '/etc/systemd/network';
const PORT = 8080;

let tempRoot: string;
let counter = 0;

beforeAll(async () => {
  if (!suite.canRun) return;
  ZONE = await bundleZone();
  tempRoot = makeTestTempDir('zone-networkd-e2e');
}, 120_000);

afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

// ---- the network configuration and the runtime's calls ----

interface ZoneNet {
  name: string;
  zone: string;
  dataDir: string;
  conf: Record<string, unknown>;
}

interface NetOptions {
  /** Second octet of 10.x.0.0/24 and hextet of fdx::/64, unique per zone. */
  n: number;
  backend?: 'auto' | 'networkd' | 'netlink';
  networkDir?: string;
  ipMasq?: boolean;
  dhcpPool?: { offset: number; size: number };
  mtu?: number;
}

function zoneNet(zone: string, options: NetOptions): ZoneNet {
  const dataDir = join(tempRoot, `ipam-${++counter}`);
  const { n } = options;
  const conf: Record<string, unknown> = {
    cniVersion: '1.1.0',
    name: `net-${zone}`,
    type: 'zone',
    zone,
    backend: options.backend ?? 'networkd',
    ...(options.networkDir !== undefined && { networkDir: options.networkDir }),
    ...(options.ipMasq !== undefined && { ipMasq: options.ipMasq }),
    ...(options.dhcpPool !== undefined && { dhcpPool: options.dhcpPool }),
    ...(options.mtu !== undefined && { mtu: options.mtu }),
    ipam: {
      type: 'zone-ipam',
      dataDir,
      // Below the DHCP pool (offset 128), which IPAM must never hand out.
      ranges: [[{ subnet: `10.${n}.0.0/24`, rangeStart: `10.${n}.0.10`, rangeEnd: `10.${n}.0.100` }], [{ subnet: `fd${n}::/64` }]],
    },
  };
  return { name: `net-${zone}`, zone, dataDir, conf };
}

interface Attachment {
  containerId: string;
  netns: Netns;
  ifname: string;
}

function cni(networkd: NetworkdSandbox, command: string, net: ZoneNet, at: Attachment, conf: object = net.conf): Promise<PluginOutcome> {
  return networkd.runPlugin(ZONE, {
    command,
    containerId: at.containerId,
    netns: at.netns.path,
    ifname: at.ifname,
    path: '/usr/lib/cni',
    stdin: conf,
    timeoutMs: 45_000,
  });
}

interface AddResult {
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
}

async function addOk(networkd: NetworkdSandbox, net: ZoneNet, at: Attachment): Promise<AddResult> {
  const outcome = await cni(networkd, 'ADD', net, at);
  expect(outcome.exitCode, `ADD failed: ${outcome.stdout}\n${outcome.stderr}`).toBe(0);
  return outcome.json as AddResult;
}

function expectCniError(outcome: PluginOutcome, code: number): void {
  expect(outcome.exitCode, `${outcome.stdout}\n${outcome.stderr}`).toBe(1);
  expect(outcome.json).toMatchObject({ code });
}

function addressOf(result: AddResult, family: 4 | 6): string {
  const ip = result.ips.find((i) => i.address.includes(':') === (family === 6));
  if (!ip) throw new Error(`no IPv${family} address in ${JSON.stringify(result)}`);
  return ip.address.split('/')[0] as string;
}

// ---- what networkd and the kernel say ----

async function masqueradedSubnets(networkd: NetworkdSandbox, family: 'ip' | 'ip6'): Promise<string[]> {
  const result = await networkd.exec('nft', ['-j', 'list', 'set', family, 'io.systemd.nat', 'masq_saddr'], { reject: false });
  if (result.exitCode !== 0) return [];
  const set = (JSON.parse(String(result.stdout)) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables.find((e) => e.set)?.set;
  return (set?.elem ?? []).map((elem) => {
    const prefix = (elem as { prefix?: { addr: string; len: number } }).prefix;
    return prefix ? `${prefix.addr}/${prefix.len}` : String(elem);
  });
}

interface IpLink {
  ifindex: number;
  ifname: string;
  master?: string;
}

async function linksIn(ns: Netns | NetworkdSandbox): Promise<IpLink[]> {
  const { stdout } = 'exec' in ns ? await ns.exec('ip', ['-j', 'link', 'show']) : await ipIn(ns, '-j', 'link', 'show');
  return JSON.parse(String(stdout)) as IpLink[];
}

async function link(ns: Netns | NetworkdSandbox, name: string): Promise<IpLink | undefined> {
  return (await linksIn(ns)).find((l) => l.ifname === name);
}

function fileIdentity(path: string): { ino: number; mtimeMs: number } {
  const { ino, mtimeMs } = statSync(path);
  return { ino, mtimeMs };
}

function allocations(net: ZoneNet): string[] {
  const dir = join(net.dataDir, net.name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name !== 'lock' && !name.startsWith('last_reserved_ip.'));
}

async function waitForListener(ns: Netns, port: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { stdout } = await nsExec(ns, 'ss', ['-Hltn', `sport = :${port}`]);
    if (stdout.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing listens on port ${port} in ${ns.name}`);
}

/** A TCP server in `ns` that answers every connection with `reply` (v4 and v6). */
async function serve(sandbox: Sandbox, ns: Netns, reply: string): Promise<void> {
  sandbox.spawn(ns, 'busybox', ['nc', '-ll', '-p', String(PORT), '-e', '/bin/busybox', 'echo', reply]);
  await waitForListener(ns, PORT);
}

async function fetchFrom(ns: Netns, address: string): Promise<string> {
  const result = await nsExec(ns, 'busybox', ['nc', '-w', '5', address, String(PORT)], { input: '', reject: false, timeout: 15_000 });
  return result.stdout.trim();
}

async function newContainers(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  onTestFinished(() => sandbox.cleanup());
  return sandbox;
}

async function attachment(sandbox: Sandbox, role: string, ifname = 'eth0'): Promise<Attachment> {
  const netns = await sandbox.container(role);
  return { containerId: `czt-${process.pid}-${++counter}-${role}`, netns, ifname };
}

// ---- the tests ----

suite.describe('zone plugin, networkd backend (vendor .network files in place)', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  it('ADD: networkd configures vz-<zone> from our files in /run/systemd/network, with masquerade and a DHCP pool', async () => {
    const containers = await newContainers();
    const net = zoneNet('nd', { n: 71, ipMasq: true, dhcpPool: { offset: 128, size: 64 } });
    const a = await attachment(containers, 'a');
    const result = await addOk(networkd, net, a);

    expect(result.ips.map((ip) => ip.address)).toEqual([
      expect.stringMatching(/^10\.71\.0\.\d+\/24$/),
      expect.stringMatching(/^fd71::[0-9a-f]+\/64$/),
    ]);
    expect(result.ips.map((ip) => ip.gateway)).toEqual(['10.71.0.1', 'fd71::1']);
    const host = Number(addressOf(result, 4).split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(10);
    expect(host).toBeLessThanOrEqual(100);

    // Our files, in networkd's runtime directory of the sandbox.
    const names = ['70-cni-zones-nd.netdev', '70-cni-zones-nd.network'];
    expect(readdirSync(networkd.runtimeNetworkPath).filter((f) => f.includes('cni-zones'))).toEqual(names);
    const networkFile = await readFile(join(networkd.runtimeNetworkPath, names[1] as string), 'utf8');
    expect(networkFile).toMatch(/^IPMasquerade=both$/m);
    expect(networkFile).toMatch(/^DHCPServer=yes$/m);

    // networkd's own view: the bridge comes from our .netdev and is configured by our .network.
    const status = await networkctlStatus(networkd, 'vz-nd');
    expect(status).toMatchObject({
      Kind: 'bridge',
      AdministrativeState: 'configured',
      NetworkFile: `${runtimeDir}/70-cni-zones-nd.network`,
    });
    expect(staticAddresses(status)).toEqual(['10.71.0.1/24', 'fd71::1/64']);
    for (const name of names) expect(await complaintsAbout(networkd, name), name).toEqual([]);

    // IPMasquerade=both: networkd's nat table masquerades the zone's subnets.
    expect(await masqueradedSubnets(networkd, 'ip')).toContain('10.71.0.0/24');
    expect(await masqueradedSubnets(networkd, 'ip6')).toContain('fd71::/64');

    // The container's host end sits on the bridge; the container has its addresses and routes.
    const hostEnd = await link(networkd, hostVethName(a.containerId, 'eth0'));
    expect(hostEnd?.master).toBe('vz-nd');
    const { stdout } = await ipIn(a.netns, '-j', 'address', 'show', 'dev', 'eth0');
    const inContainer = (JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[])[0]?.addr_info.map(
      (i) => `${i.local}/${i.prefixlen}`,
    );
    expect(inContainer).toEqual(expect.arrayContaining(result.ips.map((ip) => ip.address)));
    expect((await ipIn(a.netns, 'route', 'show', 'default')).stdout).toContain('via 10.71.0.1 dev eth0');
    expect((await ipIn(a.netns, '-6', 'route', 'show', 'default')).stdout).toContain('via fd71::1 dev eth0');

    // DHCPServer= with the pool: a client on the zone gets a lease from it (and only from it).
    const client = await containers.container('dhcp');
    const veth = await createVethPair(networkd.host, client);
    await ipIn(networkd.host, 'link', 'set', veth.a.ifname, 'master', 'vz-nd');
    const dhcp = await nsExec(
      client,
      'busybox',
      ['udhcpc', '-i', veth.b.ifname, '-n', '-q', '-f', '-s', '/bin/true', '-t', '10', '-T', '1'],
      { reject: false },
    );
    const lease = /lease of (\d+\.\d+\.\d+\.\d+) obtained from 10\.71\.0\.1/.exec(`${dhcp.stdout}\n${dhcp.stderr}`);
    expect(lease, `${dhcp.stdout}\n${dhcp.stderr}`).not.toBeNull();
    const leased = Number(lease?.[1]?.split('.')[3]);
    expect(leased).toBeGreaterThanOrEqual(128);
    expect(leased).toBeLessThan(128 + 64);
  });

  it('rewrites the files only when their content changes, and networkd applies a change', async () => {
    const containers = await newContainers();
    const net = zoneNet('same', { n: 72, ipMasq: false });
    const paths = ['70-cni-zones-same.netdev', '70-cni-zones-same.network'].map((f) => join(networkd.runtimeNetworkPath, f));
    await addOk(networkd, net, await attachment(containers, 'a'));
    const first = paths.map(fileIdentity);
    expect(await masqueradedSubnets(networkd, 'ip')).not.toContain('10.72.0.0/24');

    await addOk(networkd, net, await attachment(containers, 'b'));
    expect(paths.map(fileIdentity)).toEqual(first);

    // The same zone with masquerade: a new .network, the same .netdev, and networkd follows.
    // (networkd 252 does not take masquerade away again while the address stays, so only this way round.)
    const masked = { ...net, conf: { ...net.conf, ipMasq: true } };
    const c = await attachment(containers, 'c');
    await addOk(networkd, masked, c);
    const [netdev, network] = paths.map(fileIdentity);
    expect(netdev).toEqual(first[0]);
    expect(network?.ino).not.toBe(first[1]?.ino);
    expect(await readFile(paths[1] as string, 'utf8')).toMatch(/^IPMasquerade=both$/m);
    expect(await masqueradedSubnets(networkd, 'ip')).toContain('10.72.0.0/24');
    expect(await masqueradedSubnets(networkd, 'ip6')).toContain('fd72::/64');
    expect(await networkctlStatus(networkd, 'vz-same')).toMatchObject({
      AdministrativeState: 'configured',
      NetworkFile: `${runtimeDir}/70-cni-zones-same.network`,
    });
    // Reconfiguring the bridge kept its ports: the containers still reach the gateway.
    await serve(containers, networkd.host, 'still-here');
    expect(await fetchFrom(c.netns, '10.72.0.1')).toBe('still-here');
  });

  it('two containers reach each other and the gateway over TCP, IPv4 and IPv6; CHECK, DEL', async () => {
    const containers = await newContainers();
    const net = zoneNet('tcp', { n: 73 });
    const a = await attachment(containers, 'a');
    const b = await attachment(containers, 'b');
    const resultA = await addOk(networkd, net, a);
    const resultB = await addOk(networkd, net, b);
    expect(addressOf(resultA, 4)).not.toBe(addressOf(resultB, 4));

    await serve(containers, b.netns, 'from-b');
    await serve(containers, networkd.host, 'from-gateway');
    expect(await fetchFrom(a.netns, addressOf(resultB, 4))).toBe('from-b');
    expect(await fetchFrom(a.netns, addressOf(resultB, 6))).toBe('from-b');
    expect(await fetchFrom(a.netns, '10.73.0.1')).toBe('from-gateway');
    expect(await fetchFrom(a.netns, 'fd73::1')).toBe('from-gateway');
    await serve(containers, a.netns, 'from-a');
    expect(await fetchFrom(b.netns, addressOf(resultA, 4))).toBe('from-a');
    expect(await fetchFrom(b.netns, addressOf(resultA, 6))).toBe('from-a');

    const check = await cni(networkd, 'CHECK', net, a, { ...net.conf, prevResult: resultA });
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);

    expect(allocations(net)).toHaveLength(4);
    for (const run of [1, 2]) {
      const del = await cni(networkd, 'DEL', net, a);
      expect(del.exitCode, `DEL #${run}: ${del.stdout}${del.stderr}`).toBe(0);
    }
    expect(await link(networkd, hostVethName(a.containerId, 'eth0'))).toBeUndefined();
    expect(await link(a.netns, 'eth0')).toBeUndefined();
    expect(allocations(net).sort()).toEqual([addressOf(resultB, 4), addressOf(resultB, 6)].sort());
    // The zone stays: the bridge, its files, the other container's traffic.
    expect(await networkctlStatus(networkd, 'vz-tcp')).toMatchObject({ AdministrativeState: 'configured' });
    expect(await fetchFrom(b.netns, '10.73.0.1')).toBe('from-gateway');

    const gone = await cni(networkd, 'CHECK', net, a, { ...net.conf, prevResult: resultA });
    expectCniError(gone, 122);
  });

  it('backend auto picks networkd when it runs', async () => {
    const containers = await newContainers();
    const net = zoneNet('auto', { n: 74, backend: 'auto' });
    await addOk(networkd, net, await attachment(containers, 'a'));
    expect(existsSync(join(networkd.runtimeNetworkPath, '70-cni-zones-auto.network'))).toBe(true);
    const status = await networkctlStatus(networkd, 'vz-auto');
    expect(status).toMatchObject({ AdministrativeState: 'configured', NetworkFile: `${runtimeDir}/70-cni-zones-auto.network` });
    expect(staticAddresses(status)).toEqual(['10.74.0.1/24', 'fd74::1/64']);
    // networkd masquerades (IPMasquerade=): our table holds the zone's isolation, no masquerade.
    const table = await networkd.exec('nft', ['list', 'table', 'inet', 'cni_zones']);
    expect(String(table.stdout)).toContain('chain zone_isolation');
    expect(String(table.stdout)).not.toMatch(/masquerade|zone_masq/);
  });

  it('writes to a configured networkDir (/etc/systemd/network) and networkd uses it', async () => {
    const containers = await newContainers();
    const net = zoneNet('etc', { n: 75, networkDir: etcDir, mtu: 1400 });
    onTestFinished(async () => {
      for (const f of ['70-cni-zones-etc.netdev', '70-cni-zones-etc.network']) await rm(join(networkd.networkPath, f), { force: true });
    });
    const a = await attachment(containers, 'a');
    await addOk(networkd, net, a);
    // networkPath is the host directory bind-mounted on /etc/systemd/network inside.
    expect(readdirSync(networkd.networkPath).filter((f) => f.includes('cni-zones'))).toEqual([
      '70-cni-zones-etc.netdev',
      '70-cni-zones-etc.network',
    ]);
    expect(existsSync(join(networkd.runtimeNetworkPath, '70-cni-zones-etc.network'))).toBe(false);
    const status = await networkctlStatus(networkd, 'vz-etc');
    expect(status).toMatchObject({ AdministrativeState: 'configured', NetworkFile: `${etcDir}/70-cni-zones-etc.network` });
    expect(staticAddresses(status)).toEqual(['10.75.0.1/24', 'fd75::1/64']);
    for (const f of ['70-cni-zones-etc.netdev', '70-cni-zones-etc.network']) expect(await complaintsAbout(networkd, f)).toEqual([]);
    const { stdout } = await networkd.exec('ip', ['-j', 'link', 'show', 'vz-etc']);
    expect((JSON.parse(String(stdout)) as { mtu: number }[])[0]?.mtu).toBe(1400);
    expect((await ipIn(a.netns, '-j', 'link', 'show', 'eth0')).stdout).toContain('"mtu":1400');
  });

  it('adopts a vz-<zone> bridge made by hand before the first ADD (same ifindex), configured by our files', async () => {
    const containers = await newContainers();
    await networkd.exec('ip', ['link', 'add', 'vz-hand', 'type', 'bridge']);
    await networkd.exec('ip', ['link', 'set', 'vz-hand', 'up']);
    const before = await link(networkd, 'vz-hand');
    expect(before).toBeDefined();

    const net = zoneNet('hand', { n: 76 });
    const a = await attachment(containers, 'a');
    await addOk(networkd, net, a);
    expect((await link(networkd, 'vz-hand'))?.ifindex).toBe(before?.ifindex);
    const status = await networkctlStatus(networkd, 'vz-hand');
    expect(status).toMatchObject({
      Index: before?.ifindex,
      AdministrativeState: 'configured',
      NetworkFile: `${runtimeDir}/70-cni-zones-hand.network`,
    });
    // Our gateways only: nothing left of what the vendor file would have given the bridge.
    const { stdout } = await networkd.exec('ip', ['-j', 'address', 'show', 'dev', 'vz-hand', 'scope', 'global']);
    const addresses = (JSON.parse(String(stdout)) as { addr_info: { local?: string; prefixlen?: number }[] }[])[0]?.addr_info
      .filter((i) => i.local !== undefined)
      .map((i) => `${i.local}/${i.prefixlen}`);
    expect(addresses?.sort()).toEqual(['10.76.0.1/24', 'fd76::1/64']);
    expect((await link(networkd, hostVethName(a.containerId, 'eth0')))?.master).toBe('vz-hand');

    const b = await attachment(containers, 'b');
    const resultB = await addOk(networkd, net, b);
    await serve(containers, b.netns, 'adopted');
    expect(await fetchFrom(a.netns, addressOf(resultB, 4))).toBe('adopted');
  });

  it('STATUS succeeds with networkd running', async () => {
    const containers = await newContainers();
    const net = zoneNet('status', { n: 77 });
    const outcome = await cni(networkd, 'STATUS', net, await attachment(containers, 'x'));
    expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(0);
  });
});

suite.describe('zone plugin, networkd backend, networkd stopped or hung', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  /** A process the sandbox's init started, by its command name. */
  async function sandboxChild(comm: string): Promise<number> {
    const children = (await readFile(`/proc/${networkd.pid}/task/${networkd.pid}/children`, 'utf8')).trim().split(' ').map(Number);
    for (const pid of children) {
      if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === comm) return pid;
    }
    throw new Error(`no ${comm} in the networkd sandbox`);
  }

  async function waitForExit(pid: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      if (stat === undefined || / [ZX] /.test(stat.slice(stat.lastIndexOf(')')))) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`process ${pid} did not exit`);
  }

  async function expectNothingLeftBehind(net: ZoneNet, at: Attachment, linksBefore: IpLink[]): Promise<void> {
    expect((await linksIn(networkd)).map((l) => l.ifname).sort()).toEqual(linksBefore.map((l) => l.ifname).sort());
    expect(await link(at.netns, at.ifname)).toBeUndefined();
    expect(allocations(net)).toEqual([]);
    expect(readdirSync(networkd.runtimeNetworkPath).filter((f) => f.includes(`-${net.zone}.`))).toEqual([]);
  }

  it('a hung networkd: ADD of a new zone fails with 11 and takes back what it did', async () => {
    const containers = await newContainers();
    const networkdPid = await sandboxChild('systemd-network');
    const net = zoneNet('hung', { n: 78 });
    const a = await attachment(containers, 'a');
    const linksBefore = await linksIn(networkd);
    process.kill(networkdPid, 'SIGSTOP');
    let add: PluginOutcome;
    try {
      add = await cni(networkd, 'ADD', net, a);
    } finally {
      process.kill(networkdPid, 'SIGCONT');
    }
    expectCniError(add, 11);
    await expectNothingLeftBehind(net, a, linksBefore);
  });

  it('after networkd stops: STATUS and ADD with backend networkd fail with 50, leaving nothing behind', async () => {
    const containers = await newContainers();
    const net = zoneNet('stop', { n: 79 });
    const a = await attachment(containers, 'a');
    expect((await cni(networkd, 'STATUS', net, a)).exitCode).toBe(0);
    await addOk(networkd, net, a);

    const networkdPid = await sandboxChild('systemd-network');
    process.kill(networkdPid, 'SIGTERM');
    await waitForExit(networkdPid);

    expectCniError(await cni(networkd, 'STATUS', net, a), 50);
    const late = zoneNet('late', { n: 80 });
    const b = await attachment(containers, 'b');
    const linksBefore = await linksIn(networkd);
    const add = await cni(networkd, 'ADD', late, b);
    expectCniError(add, 50);
    await expectNothingLeftBehind(late, b, linksBefore);
    // Also on the zone that exists: no half attachment beside the bridge networkd left.
    const c = await attachment(containers, 'c');
    expectCniError(await cni(networkd, 'ADD', net, c), 50);
    expect(await link(networkd, hostVethName(c.containerId, 'eth0'))).toBeUndefined();
    expect(allocations(net)).toHaveLength(2); // a's two addresses only
    // DEL still cleans up without networkd: it needs only netlink and the store.
    const del = await cni(networkd, 'DEL', net, a);
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect(allocations(net)).toEqual([]);
    expect(await link(networkd, hostVethName(a.containerId, 'eth0'))).toBeUndefined();
  });

  it('with the bus gone: STATUS and ADD give 11 (try again later), leaving nothing behind', async () => {
    const containers = await newContainers();
    const net = zoneNet('nobus', { n: 81 });
    const a = await attachment(containers, 'a');
    const dbusPid = await sandboxChild('dbus-daemon');
    process.kill(dbusPid, 'SIGTERM');
    await waitForExit(dbusPid);
    const linksBefore = await linksIn(networkd);
    expectCniError(await cni(networkd, 'STATUS', net, a), 11);
    expectCniError(await cni(networkd, 'ADD', net, a), 11);
    await expectNothingLeftBehind(net, a, linksBefore);
  });
});
