// Gather `zonectl status`: for each network whose chain holds the `zone` plugin, the zone's
// configuration, its bridge as the kernel and networkd see it, the network's CNI STATUS, and
// every cached attachment with a CHECK and the drift of what its port record says was published
// (and of the zone's isolation and, netlink backend, masquerade), which `zonectl repair`
// restores; the zone's isolation: which zones it allows, and which allow it; its name server:
// whether it runs, and each member's names as the zone's names store holds them; and the nspawn
// machines on its bridge with their names and addresses, as the name server finds them
// (lib/dns/machines.ts); for a multi-host zone, its VXLAN port, our bridge table that keeps DHCP
// and router discovery local, their drift (repair/vxlan-drift.ts), and each peer with whether it
// answers a ping (peers.ts). Read-only: nothing on the host changes (the pings aside).
import { asCniError, ErrorCode } from '../../../lib/cni/errors.js';
import type { NetConf } from '../../../lib/cni/config.js';
import type { Attachment, Result } from '../../../lib/cni/types.js';
import { scanZoneMachines } from '../../../lib/dns/machines.js';
import { type NameEntry, namesFilePath, readNamesFile } from '../../../lib/dns/names.js';
import { zoneDnsRuns } from '../../../lib/dns/supervisor.js';
import { formatAddress, networkOf, offset, parseCidr, type Subnet, subnetOf } from '../../../lib/ip/index.js';
import { detectNetworkd, type Detection } from '../../../lib/networkd/networkd.js';
import { readLinkState } from '../../../lib/networkd/link-state.js';
import { portMappingsOf } from '../../../lib/nspawn/port-spec.js';
import type { RuntimePaths } from '../../../lib/nspawn/runtime-paths.js';
import { runtimeConfOfEntry } from '../../../lib/nspawn/up.js';
import type { Address } from '../../../lib/rtnl/addresses.js';
import { Rtnl } from '../../../lib/rtnl/client.js';
import type { Link } from '../../../lib/rtnl/links.js';
import { attachmentOfEntry, listCacheEntries } from '../../../lib/runtime/cache.js';
import type { CacheEntry } from '../../../lib/runtime/cache-format.js';
import { checkNetworkList } from '../../../lib/runtime/check.js';
import type { NetworkConfigList, PluginConfig } from '../../../lib/runtime/conf.js';
import { statusNetworkList } from '../../../lib/runtime/status.js';
import { bridgesAllowing, ownAllowElements } from '../../../lib/nft/isolation.js';
import { loadZoneConfig, type ZoneConfig } from '../../../lib/zone/plan.js';
import { isZoneVxlanPort } from '../../../lib/zone/vxlan.js';
import type { ZoneVxlan } from '../../../lib/networkd/vxlan-files.js';
import { ourTable } from '../../../lib/nft/our-table.js';
import { hostVethName } from '../../../lib/names/attachment.js';
import { readState } from '../../../lib/ports/state.js';
import { netnsIsPresent } from '../netns.js';
import { driftLine, isolationDriftOf, masqueradeDrift, portsDrift, type TableNow, tableNow } from '../repair/drift.js';
import { cachedStateDirs, memberZone, portsStateDirs } from '../repair/sources.js';
import { localTrafficDrift, readVxlanPort, strayFloods, vxlanPortDrift } from '../repair/vxlan-drift.js';
import type {
  AttachmentView,
  BridgeView,
  DhcpPoolView,
  IsolationView,
  MachineView,
  NameServerView,
  StatusReport,
  Verdict,
  VxlanView,
  ZoneView,
} from './model.js';
import { thisInstallation } from './installation.js';
import { mapLimited } from './limited.js';
import { readConfDir } from './networks.js';
import { type PeerAnswer, probePeers } from './peers.js';

/** What the kernel says about the host namespace, read once for every zone. */
interface HostLinks {
  links: Link[];
  addresses: Address[];
}

async function readHostLinks(): Promise<HostLinks> {
  const rt = await Rtnl.open();
  try {
    return { links: await rt.listLinks(), addresses: await rt.listAddresses() };
  } finally {
    rt.close();
  }
}

function zonePlugin(list: NetworkConfigList): PluginConfig | undefined {
  return list.plugins.find((p) => p.type === 'zone');
}

function requestConf(list: NetworkConfigList, plugin: PluginConfig): NetConf {
  return { ...plugin.conf, name: list.name, cniVersion: list.cniVersion } as NetConf;
}

interface RawIpam {
  subnet?: unknown;
  ranges?: unknown;
}

/** Subnets as written in the ipam section (`ranges` and the legacy `subnet`). */
export function subnetsOf(ipam: unknown): string[] {
  const raw = (ipam ?? {}) as RawIpam;
  const subnets: string[] = [];
  if (typeof raw.subnet === 'string') subnets.push(raw.subnet);
  if (Array.isArray(raw.ranges)) {
    for (const set of raw.ranges) {
      if (!Array.isArray(set)) continue;
      for (const range of set) {
        const subnet = (range as { subnet?: unknown } | null)?.subnet;
        if (typeof subnet === 'string' && !subnets.includes(subnet)) subnets.push(subnet);
      }
    }
  }
  return subnets;
}

/** The addresses networkd's DHCP server hands out: `offset` from the first IPv4 subnet's network address. */
export function dhcpPoolOf(subnets: readonly string[], pool: { offset: number; size: number } | undefined): DhcpPoolView | undefined {
  if (!pool) return undefined;
  const cidr = subnets.map(parseCidr).find((c) => c?.address.family === 4);
  if (!cidr) return undefined;
  const first = offset(networkOf(cidr.address, cidr.prefix), BigInt(pool.offset));
  const last = offset(first, BigInt(pool.size - 1));
  return { first: formatAddress(first), last: formatAddress(last), size: pool.size };
}

function bridgeView(config: ZoneConfig, host: HostLinks, attachments: readonly AttachmentView[]): BridgeView {
  const link = host.links.find((l) => l.name === config.bridge && l.kind === 'bridge');
  if (!link) return { name: config.bridge, present: false, addresses: [], ports: [], otherPorts: [] };
  const ours = new Set(attachments.map((a) => a.hostVeth));
  const ports = host.links.filter((l) => l.master === link.index).map((l) => l.name);
  const addresses = host.addresses.filter((a) => a.index === link.index && a.scope === 0).map((a) => a.cidr);
  return {
    name: config.bridge,
    present: true,
    up: link.up,
    ...(link.mac !== undefined && { mac: link.mac }),
    addresses,
    ports,
    // A multi-host zone's VXLAN port is the zone's own, shown on its own line.
    otherPorts: ports.filter((p) => !ours.has(p) && !(config.vxlan && isZoneVxlanPort({ name: p }, config.bridge))),
  };
}

async function verdict(run: () => Promise<void>): Promise<Verdict> {
  try {
    await run();
    return { ok: true };
  } catch (e) {
    const error = asCniError(e);
    return { ok: false, error: error.details ? `${error.message}: ${error.details}` : error.message, code: error.code };
  }
}

function containerSide(result: Result | undefined, entry: CacheEntry): { addresses: string[]; mac?: string } {
  const index = result?.interfaces?.findIndex((i) => i.name === entry.ifname && (i.sandbox ?? '') !== '') ?? -1;
  const ips = (result?.ips ?? []).filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index);
  const mac = index >= 0 ? result?.interfaces?.[index]?.mac : undefined;
  return { addresses: ips.map((ip) => ip.address), ...(mac !== undefined && { mac }) };
}

/**
 * What the attachment's port record (in the directory its cached ADD or the network names) says
 * was published and the host lacks now; undefined when there is no record or it cannot be read.
 */
async function attachmentDrift(list: NetworkConfigList, entry: CacheEntry, table: TableNow): Promise<string[] | undefined> {
  const owner = attachmentOfEntry(entry);
  try {
    for (const dir of new Set([...cachedStateDirs(entry), ...portsStateDirs(list)])) {
      const state = readState(dir, owner);
      if (state !== undefined) return await portsDrift(state, dir, table);
    }
  } catch {
    // Unreadable records or no nft: CHECK tells what is wrong.
  }
  return undefined;
}

async function attachmentView(list: NetworkConfigList, entry: CacheEntry, ctx: ZoneContext): Promise<AttachmentView> {
  const { paths } = ctx;
  const netns = entry.netns ?? '';
  const netnsPresent = netnsIsPresent(netns);
  const result = entry.result as Result | undefined;
  const view: AttachmentView = {
    containerId: entry.containerId,
    ifname: entry.ifname,
    netns,
    netnsPresent,
    ...containerSide(result, entry),
    hostVeth: hostVethName(entry.containerId, entry.ifname),
    ports: portMappingsOf(entry.capabilityArgs),
    check: { ok: false },
    names: [],
  };
  if (!netnsPresent)
    view.check = { ok: false, error: `network namespace ${netns || '(none)'} is gone; "zonectl gc" removes the attachment` };
  else if (list.disableCheck) view.check = { ok: true, skipped: 'the network disables CHECK' };
  else view.check = await verdict(() => checkNetworkList(list, runtimeConfOfEntry(paths, entry, netns)));
  if (netnsPresent) {
    const drift = await attachmentDrift(list, entry, ctx.table);
    if (drift !== undefined && drift.length > 0) view.drift = drift;
  }
  return view;
}

function activeBackend(configured: string, networkd: Detection): ZoneView['backend'] {
  if (configured === 'netlink') return { configured, active: 'netlink' };
  if (networkd.presence === 'running') return { configured, active: 'networkd' };
  if (networkd.presence === 'unresponsive') return { configured, problem: `systemd-networkd does not answer: ${networkd.reason}` };
  if (configured === 'networkd') return { configured, problem: 'backend "networkd" chosen but systemd-networkd is not running' };
  return { configured, active: 'netlink' };
}

/** Whether a CHECK failure is the one lib/zone/check.ts gives for the zone's VXLAN port and bridge table. */
const isVxlanCheck = (error: string | undefined, zone: string) => error?.includes(`multi-host zone ${zone}: `) === true;

export function problemsOf(zone: Omit<ZoneView, 'problems' | 'healthy'>): string[] {
  const problems: string[] = [];
  if (zone.backend.problem) problems.push(zone.backend.problem);
  if (!zone.plugins.ok) problems.push(`STATUS: ${zone.plugins.error}`);
  if (zone.attachments.length && !zone.bridge.present) problems.push(`bridge ${zone.bridge.name} is missing`);
  else if (zone.bridge.present && zone.bridge.up === false) problems.push(`bridge ${zone.bridge.name} is down`);
  if (zone.masqueradeDrift) problems.push(driftLine('masquerade', zone.masqueradeDrift));
  if (zone.isolationDrift) problems.push(driftLine('isolation', zone.isolationDrift));
  if (zone.vxlanDrift) problems.push(driftLine('vxlan', zone.vxlanDrift));
  for (const peer of zone.vxlan?.peers ?? []) {
    if (peer.answers) continue;
    const why = peer.reason ? ` (${peer.reason})` : '';
    problems.push(`peer ${peer.address} gives no answer to a ping from ${zone.vxlan?.local}${why}: is that host up, and routed from here?`);
  }
  const nameServer = zone.nameServer;
  if (nameServer?.problem) problems.push(nameServer.problem);
  if (nameServer?.enabled && nameServer.running === false && zone.attachments.some((a) => a.netnsPresent))
    problems.push(`the zone's name server does not run; "zonectl repair" starts it`);
  for (const a of zone.attachments) {
    const who = `${a.containerId} (${a.ifname})`;
    if (a.drift) problems.push(`${who} ${driftLine('ports', a.drift)}`);
    // The drift lines say what CHECK of the ports or of the VXLAN port says, and what to do.
    const saidByDrift =
      (a.drift !== undefined && a.check.code === ErrorCode.PortsCheckFailed) ||
      (zone.vxlanDrift !== undefined && a.check.code === ErrorCode.ZoneCheckFailed && isVxlanCheck(a.check.error, zone.zone));
    if (!a.check.ok && !saidByDrift) problems.push(`${who}: ${a.check.error}`);
  }
  return problems;
}

interface ZoneContext {
  paths: RuntimePaths;
  host: HostLinks;
  networkd: Detection;
  /** Our nft table, listed once when drift is looked for. */
  table: TableNow;
  /** What our bridge table lacks of the rules that keep DHCP and router discovery local: read once, for the first multi-host zone. */
  keptLocal: () => Promise<string[]>;
}

function once<T>(read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= read();
    return value;
  };
}

interface RulesDrift {
  masquerade?: string[];
  isolation?: string[];
}

/**
 * What the zone's rules lack, when it has members: its masquerade when that is ours (netlink
 * backend, ipMasq), its isolation always.
 */
async function zoneRulesDrift(list: NetworkConfigList, ctx: ZoneContext): Promise<RulesDrift> {
  try {
    const zone = await memberZone(list, ctx.paths.cacheDir, ctx.networkd);
    if (zone === undefined) return {};
    const { config, subnets } = zone;
    const masquerade = zone.masquerade ? await masqueradeDrift({ zone: config.zone, bridge: config.bridge, subnets }, ctx.table) : [];
    const isolation = await isolationDriftOf(config, ctx.table);
    return { ...(masquerade.length > 0 && { masquerade }), ...(isolation.length > 0 && { isolation }) };
  } catch {
    return {};
  }
}

const zoneOfBridge = (bridge: string) => bridge.replace(/^vz-/, '');

/** The zone's isolation as configured, and as our table holds it. */
async function isolationView(config: ZoneConfig, table: TableNow): Promise<IsolationView> {
  const view: IsolationView = { active: false, allowZones: config.allowZones, allowedBy: [] };
  try {
    const listing = await table();
    const elements = listing?.elements ?? [];
    view.active = ownAllowElements(elements, config.bridge).some((e) => e.key[1] === e.key[0]);
    view.allowedBy = bridgesAllowing(elements, config.bridge).map(zoneOfBridge);
  } catch {
    // no nft: nothing is in effect
  }
  return view;
}

function ownedBy(entry: NameEntry, attachment: Attachment): boolean {
  const owner = entry.owner;
  return (
    !('machine' in owner) &&
    owner.network === attachment.network &&
    owner.containerId === attachment.containerId &&
    owner.ifname === attachment.ifname
  );
}

const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort();

/** The attachment's names in the store, as the server answers them: `<name>.<suffix>`. */
export function namesOf(entries: readonly NameEntry[], attachment: Attachment, suffix: string): string[] {
  return sortedUnique(entries.filter((e) => ownedBy(e, attachment)).map((e) => `${e.name}.${suffix}`));
}

/** The names none of `attachments` holds: machines registered by name, attachments without a cache record. */
export function otherNamesOf(entries: readonly NameEntry[], attachments: readonly Attachment[], suffix: string): string[] {
  const others = entries.filter((e) => !attachments.some((a) => ownedBy(e, a)));
  return sortedUnique(others.map((e) => `${e.name}.${suffix}`));
}

/** The zone's name server: whether it runs, and the names its store holds (each member's are filled in by the caller). */
async function nameServerView(config: ZoneConfig, network: string, attachments: AttachmentView[]): Promise<NameServerView> {
  const dns = config.dns;
  if (dns === false) return { enabled: false };
  const suffix = `${config.zone.toLowerCase()}.${dns.domain}`;
  const view: NameServerView = { enabled: true, domain: suffix, stateDir: dns.stateDir };
  view.running = await zoneDnsRuns(config.zone, dns.stateDir).catch(() => false);
  let entries: NameEntry[] = [];
  try {
    entries = readNamesFile(namesFilePath(config.zone, dns.stateDir));
  } catch (e) {
    view.problem = asCniError(e).message;
  }
  const owners = attachments.map((a) => ({ network, containerId: a.containerId, ifname: a.ifname }));
  attachments.forEach((a, i) => {
    a.names = namesOf(entries, owners[i] as Attachment, suffix);
  });
  const others = otherNamesOf(entries, owners, suffix);
  if (others.length > 0) view.otherNames = others;
  return view;
}

/**
 * The nspawn machines on the zone's bridge, named as the zone's name server names them
 * (`<machine>.<zone>.<domain>`); undefined when they cannot be looked for.
 */
async function machineViews(config: ZoneConfig, subnets: readonly string[]): Promise<MachineView[] | undefined> {
  const zoneSubnets = subnets.flatMap((text): Subnet[] => {
    const cidr = parseCidr(text);
    return cidr ? [subnetOf(cidr)] : [];
  });
  const suffix = config.dns === false ? undefined : `${config.zone.toLowerCase()}.${config.dns.domain}`;
  try {
    const rt = await Rtnl.open(undefined, { strictChecking: true });
    try {
      const { machines } = scanZoneMachines(rt.socket, config.bridge, { subnets: zoneSubnets });
      return machines.map((m) => ({
        machine: m.machine,
        ...(m.label !== undefined && suffix !== undefined && { name: `${m.label}.${suffix}` }),
        port: m.port,
        addresses: m.addresses,
      }));
    } finally {
      rt.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * A multi-host zone's VXLAN side: its port and our bridge table, and drift in them once the
 * zone's bridge is on this host (the first ADD makes the port with it); `answers` are the pings.
 */
async function vxlanView(
  config: ZoneConfig & { vxlan: ZoneVxlan },
  ctx: ZoneContext,
  answers: Promise<PeerAnswer[]>,
): Promise<{ view: VxlanView; drift: string[] }> {
  const { vxlan } = config;
  const bridge = ctx.host.links.find((l) => l.name === config.bridge && l.kind === 'bridge');
  const rt = await Rtnl.open();
  let device: VxlanView['device'];
  try {
    device = await readVxlanPort(rt, config.zone, bridge?.index);
  } finally {
    rt.close();
  }
  const keptLocal = await ctx.keptLocal();
  const pinged = await answers;
  const view: VxlanView = {
    vni: vxlan.vni,
    local: vxlan.local,
    port: vxlan.port,
    device,
    peers: vxlan.peers.map((address, i) => ({ address, flooded: device.floods.includes(address), ...(pinged[i] as PeerAnswer) })),
    strayFloods: strayFloods(vxlan, device),
    keptLocal: { inPlace: keptLocal.length === 0, problems: keptLocal },
  };
  const drift = bridge === undefined ? [] : [...vxlanPortDrift(vxlan, device, config.bridge), ...keptLocal];
  return { view, drift };
}

async function zoneView(list: NetworkConfigList, plugin: PluginConfig, ctx: ZoneContext): Promise<ZoneView> {
  const conf = requestConf(list, plugin);
  const config = loadZoneConfig(conf);
  // The pings run while the rest is read: a second at most, whatever else takes.
  const answers = config.vxlan ? probePeers(config.vxlan.local, config.vxlan.peers) : undefined;
  const entries = await listCacheEntries(ctx.paths.cacheDir, { networkName: list.name });
  const attachments = await mapLimited(entries, 8, (entry) => attachmentView(list, entry, ctx));
  const subnets = subnetsOf(conf.ipam);
  const pool = dhcpPoolOf(subnets, config.dhcpPool);
  const backend = activeBackend(config.backend, ctx.networkd);
  const state = backend.active === 'networkd' ? await readLinkState(config.bridge) : undefined;
  const machines = await machineViews(config, subnets);
  const view: Omit<ZoneView, 'problems' | 'healthy'> = {
    zone: config.zone,
    network: list.name,
    source: list.source,
    backend,
    bridge: bridgeView(config, ctx.host, attachments),
    ...(state && {
      networkd: { adminState: state.adminState, operState: state.operState, ...(state.networkFile && { networkFile: state.networkFile }) },
    }),
    subnets,
    ...(pool && { dhcpPool: pool }),
    plugins: await verdict(() => statusNetworkList(list, ctx.paths)),
    attachments,
    ...(machines && { machines }),
    isolation: await isolationView(config, ctx.table),
    nameServer: await nameServerView(config, list.name, attachments),
  };
  const drift = await zoneRulesDrift(list, ctx);
  if (drift.masquerade !== undefined) view.masqueradeDrift = drift.masquerade;
  if (drift.isolation !== undefined) view.isolationDrift = drift.isolation;
  if (config.vxlan && answers) {
    const vxlan = await vxlanView({ ...config, vxlan: config.vxlan }, ctx, answers);
    view.vxlan = vxlan.view;
    if (vxlan.drift.length > 0) view.vxlanDrift = vxlan.drift;
  }
  const problems = problemsOf(view);
  return { ...view, problems, healthy: problems.length === 0 };
}

function brokenZone(list: NetworkConfigList, plugin: PluginConfig, error: unknown): ZoneView {
  const zone = typeof plugin.conf.zone === 'string' ? plugin.conf.zone : list.name;
  const message = `invalid zone configuration: ${asCniError(error).message}`;
  return {
    zone,
    network: list.name,
    source: list.source,
    backend: { configured: String(plugin.conf.backend ?? 'auto') },
    bridge: { name: `vz-${zone}`, present: false, addresses: [], ports: [], otherPorts: [] },
    subnets: [],
    plugins: { ok: false, error: message },
    attachments: [],
    problems: [message],
    healthy: false,
  };
}

export interface StatusQuery extends RuntimePaths {
  /** Only the zone (or network) of this name. */
  zone?: string;
}

export async function collectStatus(query: StatusQuery): Promise<StatusReport> {
  const { lists, unreadable } = await readConfDir(query.confDir);
  const ctx: ZoneContext = {
    paths: query,
    host: await readHostLinks(),
    networkd: await detectNetworkd(),
    table: tableNow(),
    keptLocal: once(() => localTrafficDrift(ourTable(undefined, 'bridge'))),
  };
  const zones: ZoneView[] = [];
  for (const list of lists) {
    const plugin = zonePlugin(list);
    if (!plugin) continue;
    const name = typeof plugin.conf.zone === 'string' ? plugin.conf.zone : list.name;
    if (query.zone !== undefined && query.zone !== name && query.zone !== list.name) continue;
    try {
      zones.push(await zoneView(list, plugin, ctx));
    } catch (e) {
      zones.push(brokenZone(list, plugin, e));
    }
  }
  return {
    installation: await thisInstallation(),
    confDir: query.confDir,
    cacheDir: query.cacheDir,
    networkd: { presence: ctx.networkd.presence, reason: ctx.networkd.reason },
    zones,
    unreadable: query.zone === undefined ? unreadable : [],
    healthy: zones.every((z) => z.healthy) && (query.zone !== undefined || unreadable.length === 0),
  };
}
