// `zonectl repair`: after a flush of the ruleset (an nftables.service restart, a firewalld
// start, a provisioning tool) or a killed [::1] proxy, put back what our records say was
// published: for each port record directory of our networks, lib/ports' repair (our table's
// fixed ruleset, the recorded elements that are gone, route_localnet, the proxies); for each
// zone with members, its isolation as its configuration says (so a changed allowZones takes
// effect here too), with the netlink backend and ipMasq its masquerade, and its name server
// when dns is on and it does not run; for each multi-host zone whose bridge is on this host
// (members or not), its VXLAN port and flood entries as its configuration says now and our
// `bridge cni_zones` table (vxlan.ts). Nothing is read from anywhere but our records, the
// networks, the result cache and the zones' own links; an empty machine is a no-op.
// With dns on, systemd-resolved is told again where the zone's names are (a resolved started
// after the zone's ADDs never heard it; lib/resolved): quietly, since whether it knew cannot be
// read cheaply, and nothing at all where it does not run or networkd tells it.
import { asCniError } from '../../../lib/cni/errors.js';
import type { Attachment } from '../../../lib/cni/types.js';
import { detectNetworkd } from '../../../lib/networkd/networkd.js';
import type { RuntimePaths } from '../../../lib/nspawn/runtime-paths.js';
import { repairPorts } from '../../../lib/ports/repair.js';
import { listCacheEntries } from '../../../lib/runtime/cache.js';
import type { NetworkConfigList } from '../../../lib/runtime/conf.js';
import { announceZoneDns } from '../../../lib/zone/bridge.js';
import { ensureServer, zoneDnsServer } from '../../../lib/zone/dns.js';
import { ensureZoneRules } from '../../../lib/zone/isolation.js';
import type { Gateway, ZoneConfig, ZoneDnsConfig } from '../../../lib/zone/plan.js';
import { systemWorld } from '../../../lib/zone/world.js';
import { netnsIsPresent } from '../netns.js';
import { isolationDriftOf, masqueradeDrift, tableNow } from './drift.js';
import { cachedStateDirs, type MemberZone, memberZone, portsStateDirs, zoneConfigOf } from './sources.js';
import { repairVxlan } from './vxlan.js';

export interface AttachmentRepairView {
  network: string;
  containerId: string;
  ifname: string;
  stateDir: string;
  restored: string[];
  problems: string[];
}

export interface ZoneRepairView {
  network: string;
  zone: string;
  restored: string[];
  problems: string[];
}

export interface RepairReport {
  /** The port record directories looked at. */
  stateDirs: string[];
  /** One per recorded attachment. */
  attachments: AttachmentRepairView[];
  /** One per zone with members (its isolation, its masquerade where that is ours, its name server) or with a VXLAN port here. */
  zones: ZoneRepairView[];
  /** What stopped a part of the repair (a directory that cannot be read, nft failing). */
  errors: string[];
  ok: boolean;
}

function messageOf(e: unknown): string {
  const error = asCniError(e);
  return error.details ? `${error.message}: ${error.details}` : error.message;
}

/** The record directories of the networks, and of the configurations their cached ADDs ran with. */
async function stateDirsOf(lists: readonly NetworkConfigList[], cacheDir: string, errors: string[]): Promise<string[]> {
  const dirs = new Set<string>();
  for (const list of lists) {
    try {
      for (const dir of portsStateDirs(list)) dirs.add(dir);
      for (const entry of await listCacheEntries(cacheDir, { networkName: list.name })) {
        for (const dir of cachedStateDirs(entry)) dirs.add(dir);
      }
    } catch (e) {
      errors.push(`network ${list.name}: ${messageOf(e)}`);
    }
  }
  return [...dirs];
}

/** A zone's rules (with members), its name server, and a multi-host zone's VXLAN side; undefined when none of that is here. */
async function repairZone(list: NetworkConfigList, paths: RuntimePaths, networkd: Awaited<ReturnType<typeof detectNetworkd>>) {
  const config = zoneConfigOf(list);
  if (config === undefined) return undefined;
  const view: ZoneRepairView = { network: list.name, zone: config.zone, restored: [], problems: [] };
  const zone = await memberZone(list, paths.cacheDir, networkd);
  if (zone !== undefined) await repairMemberRules(zone, view);
  const vxlan = config.vxlan ? await repairVxlan(systemWorld(), { ...config, vxlan: config.vxlan }) : undefined;
  if (vxlan !== undefined) {
    view.restored.push(...vxlan.restored);
    view.problems.push(...vxlan.problems);
  }
  return zone !== undefined || vxlan?.present ? view : undefined;
}

/** The isolation and masquerade of a zone with members, and its name server. */
async function repairMemberRules(zone: MemberZone, view: ZoneRepairView): Promise<void> {
  const { config, subnets } = zone;
  const table = tableNow();
  const masquerade = zone.masquerade ? await masqueradeDrift({ zone: config.zone, bridge: config.bridge, subnets }, table) : [];
  const isolation = await isolationDriftOf(config, table);
  await repairNameServer(config, view);
  if (masquerade.length === 0 && isolation.length === 0) return;
  const what = [
    ...(masquerade.length > 0 ? [`masquerade of ${subnets.join(', ')}`] : []),
    ...(isolation.length > 0
      ? [`isolation (${config.allowZones.length > 0 ? `allowed: ${config.allowZones.join(', ')}` : 'no zone allowed'})`]
      : []),
  ];
  try {
    await ensureZoneRules(systemWorld(), config, zone.masquerade ? subnets : undefined);
    view.restored.push(...what);
  } catch (e) {
    view.problems.push(...what.map((w) => `${w}: ${messageOf(e)}`));
  }
}

type World = ReturnType<typeof systemWorld>;

/** The zone's name server, started again when it is on and not running (killed, or its unit failed); resolved told again. */
async function repairNameServer(config: ZoneConfig, view: ZoneRepairView): Promise<void> {
  const dns = config.dns;
  if (dns === false) return;
  const world = systemWorld();
  try {
    if (!(await world.dns.serverRuns(config.zone, dns.stateDir))) {
      const gateways = (await bridgeNow(world, config.bridge))?.gateways ?? [];
      if (gateways.length === 0) throw new Error(`${config.bridge} has no gateway address`);
      await ensureServer(world, zoneDnsServer(config, dns, gateways));
      view.restored.push(`name server on ${gateways.map((g) => g.address).join(', ')}`);
    }
  } catch (e) {
    view.problems.push(`name server: ${messageOf(e)}`);
  }
  await retellResolved(world, config, dns, view);
}

async function retellResolved(world: World, config: ZoneConfig, dns: ZoneDnsConfig, view: ZoneRepairView): Promise<void> {
  try {
    const bridge = await bridgeNow(world, config.bridge);
    if (bridge === undefined || bridge.gateways.length === 0) return;
    await announceZoneDns(world, bridge.index, config, dns, bridge.gateways);
  } catch (e) {
    view.problems.push(`systemd-resolved: ${messageOf(e)}`);
  }
}

/** The bridge's index and its own addresses (not link-local): the zone's gateways; undefined without the bridge. */
async function bridgeNow(world: World, bridge: string): Promise<{ index: number; gateways: Gateway[] } | undefined> {
  const host = await world.hostLinks();
  try {
    const link = await host.getLink(bridge);
    if (link === undefined) return undefined;
    const gateways = (await host.listAddresses(bridge))
      .filter((a) => !(a.family === 6 && a.address.toLowerCase().startsWith('fe80:')))
      .map(
        (a): Gateway => ({
          cidr: `${a.address}/${a.prefixLength}`,
          address: a.address,
          prefix: a.prefixLength,
          family: a.family === 6 ? 6 : 4,
        }),
      );
    return { index: link.index, gateways };
  } finally {
    host.close();
  }
}

/**
 * Which recorded attachments to repair: those of `lists`, except the ones the result cache
 * knows with a namespace that is gone (a container that died without DEL: GC's to remove).
 */
async function repairable(lists: readonly NetworkConfigList[], cacheDir: string): Promise<(owner: Attachment) => boolean> {
  const networks = new Set(lists.map((list) => list.name));
  const gone = new Set<string>();
  for (const entry of await listCacheEntries(cacheDir)) {
    if (networks.has(entry.networkName) && entry.netns !== undefined && !netnsIsPresent(entry.netns)) {
      gone.add(`${entry.networkName}\0${entry.containerId}\0${entry.ifname}`);
    }
  }
  return (owner) => networks.has(owner.network) && !gone.has(`${owner.network}\0${owner.containerId}\0${owner.ifname}`);
}

export async function repairNetworks(lists: readonly NetworkConfigList[], paths: RuntimePaths): Promise<RepairReport> {
  const report: RepairReport = { stateDirs: [], attachments: [], zones: [], errors: [], ok: true };
  report.stateDirs = await stateDirsOf(lists, paths.cacheDir, report.errors);
  const include = await repairable(lists, paths.cacheDir);
  for (const stateDir of report.stateDirs) {
    try {
      for (const repair of await repairPorts(stateDir, undefined, include)) {
        report.attachments.push({ ...repair.owner, stateDir, restored: repair.restored, problems: repair.problems });
      }
    } catch (e) {
      report.errors.push(`${stateDir}: ${messageOf(e)}`);
    }
  }
  const networkd = await detectNetworkd();
  for (const list of lists) {
    try {
      const zone = await repairZone(list, paths, networkd);
      if (zone !== undefined) report.zones.push(zone);
    } catch (e) {
      report.errors.push(`network ${list.name}: ${messageOf(e)}`);
    }
  }
  report.ok = report.errors.length === 0 && [...report.attachments, ...report.zones].every((r) => r.problems.length === 0);
  return report;
}
