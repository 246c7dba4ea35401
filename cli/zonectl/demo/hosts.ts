// The two "hosts" of `zonectl demo --hosts 2`, inside the demo's sandbox: network namespaces
// demo-host1 and demo-host2 joined by a veth underlay (192.0.2.1 and 192.0.2.2, MTU 1500), each
// with its own conflist, result cache, IPAM store, ports and name server state under the demo's
// work directory, as two machines would have. Both share the zone's name, subnet and VNI; each
// has its own range and gateway in the subnet, so addresses never collide. zonectl runs in a
// host as it would on that host (nsenter into its namespace; the plugins it starts run there
// too); kernel state of a host is read through rtnetlink opened in its namespace, and what a
// host asks over the zone, it asks with the machines' static busybox. What is left
// of the zone on a host after it was removed is read back, so the demo can say it was nothing.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNamedNetns, namedNetnsExists, namedNetnsPath, removeNamedNetns } from '../../../lib/netns/named.js';
import { openNetns } from '../../../lib/netns/open.js';
import type { RuntimePaths } from '../../../lib/nspawn/runtime-paths.js';
import { Rtnl } from '../../../lib/rtnl/client.js';
import { findExecutable } from '../../../lib/system/programs.js';
import { isProcessError, type ProcessResult, runChecked, runProcess } from '../../../lib/system/process.js';
import { renderConfList } from '../example.js';
import { bundleDir, selfInvocation } from '../self.js';

export const UNDERLAY_LINK = 'under0';
export const UNDERLAY_MTU = 1500;
const VNI = 4242;
const SUBNET_PREFIX = 24;

export interface DemoHost {
  /** "host 1", for progress lines. */
  label: string;
  /** Its network namespace's name (/run/netns/<name>). */
  name: string;
  netns: string;
  /** Its underlay address. */
  underlay: string;
  /** Its gateways in the zone, where its name server answers: IPv4 and IPv6. */
  gateways: [string, string];
  /** Its own IPAM ranges in the zone's subnets: [start, end] of IPv4 and of IPv6. */
  ranges: [[string, string], [string, string]];
  paths: RuntimePaths;
  dataDir: string;
  portsStateDir: string;
  dnsStateDir: string;
}

/** Host `n` of two: .1 and .10-.99 on host 1, .101 and .110-.199 on host 2, in 10.89.0.0/24 and fd89::/64. */
export function demoHost(n: 1 | 2, workDir: string): DemoHost {
  const base = n === 1 ? 0 : 100;
  const name = `demo-host${n}`;
  const dir = join(workDir, `host${n}`);
  return {
    label: `host ${n}`,
    name,
    netns: namedNetnsPath(name),
    underlay: `192.0.2.${n}`,
    gateways: [`10.89.0.${base + 1}`, `fd89::${base + 1}`],
    ranges: [
      [`10.89.0.${base + 10}`, `10.89.0.${base + 99}`],
      [`fd89::${base + 10}`, `fd89::${base + 99}`],
    ],
    paths: { confDir: join(dir, 'net.d'), cacheDir: join(dir, 'cache'), pluginDirs: [bundleDir()] },
    dataDir: join(dir, 'ipam'),
    portsStateDir: join(dir, 'ports'),
    dnsStateDir: join(dir, 'dns'),
  };
}

/** The zone's `vxlan` field on `host`: its own underlay address, the others' as peers. */
export function vxlanOf(host: DemoHost, all: readonly DemoHost[]): { vni: number; local: string; peers: string[] } {
  return { vni: VNI, local: host.underlay, peers: all.filter((h) => h !== host).map((h) => h.underlay) };
}

/** The host's network: zone `zone` over VXLAN, netlink backend, its own ranges and gateways, names served. */
export function hostConfList(host: DemoHost, all: readonly DemoHost[], zone: string): Record<string, unknown> {
  const [[start4, end4], [start6, end6]] = host.ranges;
  const [gateway4, gateway6] = host.gateways;
  return {
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: zone,
    plugins: [
      {
        type: 'zone',
        zone,
        backend: 'netlink',
        vxlan: vxlanOf(host, all),
        ipMasq: true,
        hairpin: true,
        portsStateDir: host.portsStateDir,
        nameServer: { stateDir: host.dnsStateDir },
        ipam: {
          type: 'zone-ipam',
          dataDir: host.dataDir,
          ranges: [
            [{ subnet: '10.89.0.0/24', rangeStart: start4, rangeEnd: end4, gateway: gateway4 }],
            [{ subnet: 'fd89::/64', rangeStart: start6, rangeEnd: end6, gateway: gateway6 }],
          ],
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        },
        capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
      },
    ],
  };
}

export async function writeHostNetwork(host: DemoHost, all: readonly DemoHost[], zone: string): Promise<void> {
  await mkdir(host.paths.confDir, { recursive: true });
  await writeFile(join(host.paths.confDir, `${zone}.conflist`), renderConfList(hostConfList(host, all, zone)));
}

async function withRtnl<T>(netns: string, fn: (rt: Rtnl) => Promise<T>): Promise<T> {
  const rt = await Rtnl.open(netns);
  try {
    return await fn(rt);
  } finally {
    rt.close();
  }
}

/** Both hosts' namespaces, lo up, and the veth underlay between them with an address on each end. */
export async function createHosts(hosts: readonly [DemoHost, DemoHost]): Promise<void> {
  for (const host of hosts) await createNamedNetns(host.name);
  const [one, two] = hosts;
  const other = openNetns(two.netns);
  try {
    await withRtnl(one.netns, (rt) => rt.createVeth({ name: UNDERLAY_LINK, peerName: UNDERLAY_LINK, peerNetns: other, mtu: UNDERLAY_MTU }));
  } finally {
    other.close();
  }
  for (const host of hosts) {
    await withRtnl(host.netns, async (rt) => {
      await rt.setUp('lo');
      await rt.addAddress(UNDERLAY_LINK, `${host.underlay}/${SUBNET_PREFIX}`);
      await rt.setUp(UNDERLAY_LINK);
    });
  }
}

/** The underlay (one end takes the other with it) and the hosts' namespaces; what was there to remove. */
export async function removeHosts(hosts: readonly DemoHost[]): Promise<string[]> {
  const removed: string[] = [];
  const [first] = hosts;
  if (first && namedNetnsExists(first.name) && (await withRtnl(first.netns, (rt) => rt.deleteLinkIfExists(UNDERLAY_LINK))))
    removed.push(UNDERLAY_LINK);
  for (const host of hosts) if (await removeNamedNetns(host.name)) removed.push(host.name);
  return removed;
}

function nsenter(): string {
  const path = findExecutable('nsenter');
  if (!path) throw new Error('the two-host demo needs nsenter (apt-get install util-linux)');
  return path;
}

/** Run `file args` in the host's network namespace, to its end. */
export function runInHost(host: DemoHost, file: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
  return runProcess(nsenter(), [`--net=${host.netns}`, '--', file, ...args], { timeoutMs, processGroup: true });
}

/** `zonectl ARGS` on the host, as someone on it would type it; its stdout, or an error with its own words. */
export async function zonectlOn(host: DemoHost, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const [self = '', ...selfArgs] = selfInvocation();
  try {
    return await runChecked(nsenter(), [`--net=${host.netns}`, '--', self, ...selfArgs, ...args], { timeoutMs, processGroup: true });
  } catch (e) {
    if (!isProcessError(e)) throw e;
    throw new Error(`zonectl ${args.slice(0, 2).join(' ')} on ${host.label}: ${e.details || e.message}`);
  }
}

/** The runtime options that point zonectl at the host's own conflists, cache and plugins. */
export function runtimeArgsOf(host: DemoHost): string[] {
  return ['--conf-dir', host.paths.confDir, '--cache-dir', host.paths.cacheDir, '--cni-path', host.paths.pluginDirs.join(':')];
}

export interface VxlanPort {
  name: string;
  vni: number;
  local: string | undefined;
  port: number;
  /** Where broadcasts go: the peers' underlay addresses. */
  floods: string[];
  mtu: number | undefined;
}

/** The zone's VXLAN port on the host as the kernel has it; undefined when there is none. */
export function readVxlanPort(host: DemoHost, name: string): Promise<VxlanPort | undefined> {
  return withRtnl(host.netns, async (rt) => {
    const identity = await rt.vxlanIdentity(name);
    if (!identity) return undefined;
    return { name, ...identity, floods: (await rt.floodEntries(name)).sort(), mtu: (await rt.getLink(name))?.mtu };
  });
}

/** The MTU of each of `links` in `netns` (undefined for one that is not there). */
export function readMtus(netns: string, links: readonly string[]): Promise<(number | undefined)[]> {
  return withRtnl(netns, (rt) => Promise.all(links.map(async (name) => (await rt.getLink(name))?.mtu)));
}

export interface Leftovers {
  /** Links other than lo and the underlay. */
  links: string[];
  /** nftables tables, as `family name`. */
  tables: string[];
  /** Lines of the ruleset that name the zone's links or subnets, or fill a set. */
  zoneRules: string[];
}

/** What of the zone is still on the host: links, tables, and rules or set elements that mention it. */
export async function leftoversOn(host: DemoHost, zone: string): Promise<Leftovers> {
  const links = await withRtnl(host.netns, async (rt) =>
    (await rt.listLinks()).map((l) => l.name).filter((name) => name !== 'lo' && name !== UNDERLAY_LINK),
  );
  const nft = findExecutable('nft');
  if (!nft) return { links, tables: [], zoneRules: [] };
  const listed = await runInHost(host, nft, ['list', 'ruleset'], 10_000);
  if (listed.exitCode !== 0) throw new Error(`nft list ruleset on ${host.label}: ${listed.stderr.trim()}`);
  const lines = listed.stdout.split('\n');
  const tables = lines.flatMap((line) => /^table (\S+) (\S+) \{/.exec(line)?.slice(1, 3).join(' ') ?? []);
  const mentions = [`vz-${zone}`, `vx-${zone}`, '10.89.0.', 'fd89:', 'elements ='];
  const zoneRules = lines.map((l) => l.trim()).filter((line) => mentions.some((m) => line.includes(m)));
  return { links, tables, zoneRules };
}
