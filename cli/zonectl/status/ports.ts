// The published ports of every cached attachment: the `portMappings` each ADD was given, with
// the container address the host port leads to (from the result cache), and beside them the
// [::1] listener each TCP mapping on every address (or on ::1) has, from the attachment's port
// record: its target, whose it is, how it runs (a process of ours, or systemd units) and whether
// it runs now. A listener the records hold without a cached mapping is listed too.
import type { Result } from '../../../lib/cni/types.js';
import { familyOf, stripPrefix } from '../../../lib/ip/index.js';
import { portMappingsOf } from '../../../lib/nspawn/port-spec.js';
import type { PortMapping } from '../../../lib/ports/mappings.js';
import { ownerTag } from '../../../lib/ports/owner.js';
import { type ProxyAccess, systemProxies } from '../../../lib/ports/proxies.js';
import { listStates, type PortsState, type ProxyRecord } from '../../../lib/ports/state.js';
import { attachmentOfEntry, listCacheEntries } from '../../../lib/runtime/cache.js';
import type { CacheEntry } from '../../../lib/runtime/cache-format.js';
import type { NetworkConfigList } from '../../../lib/runtime/conf.js';
import { cachedStateDirs, portsStateDirs } from '../repair/sources.js';

/** A [::1] listener from a port record, and whether its proxy runs now. */
export interface Loopback6Listener {
  published: true;
  port: number;
  /** Where its connections go: `10.89.0.5:80`, `[fd89::5]:80`. */
  target: string;
  via: 'process' | 'systemd';
  pid?: number;
  /** The unit pair's name, without `.socket`/`.service`. */
  unit?: string;
  running: boolean;
}

export type Loopback6View = Loopback6Listener | { published: false; reason: string };

export interface PublishedPort extends PortMapping {
  network: string;
  containerId: string;
  ifname: string;
  /** Where the host port leads: the container's addresses of the host address's family. */
  containerAddresses: string[];
  /** [::1]:hostPort, for mappings on every address or on ::1. */
  loopback6?: Loopback6View;
  /** A listener only the port record knows of: its cache entry is gone. */
  recordOnly?: true;
}

export interface PortsListing {
  ports: PublishedPort[];
  /** Port records that could not be read (the directory is root's). */
  problems: string[];
}

function containerAddresses(entry: CacheEntry, mapping: PortMapping): string[] {
  const result = entry.result as Result | undefined;
  const index = result?.interfaces?.findIndex((i) => i.name === entry.ifname && (i.sandbox ?? '') !== '') ?? -1;
  const ips = (result?.ips ?? [])
    .filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index)
    .map((ip) => stripPrefix(ip.address));
  if (!mapping.hostIP) return ips;
  const family = familyOf(mapping.hostIP);
  return ips.filter((ip) => familyOf(ip) === family);
}

/** A recorded state and the directory it is in. */
interface Recorded {
  state: PortsState;
  dir: string;
}

/** Every record in `dirs`, by owner tag; directories that cannot be read are reported. */
function readRecords(dirs: Iterable<string>, problems: string[]): Map<string, Recorded> {
  const records = new Map<string, Recorded>();
  for (const dir of dirs) {
    try {
      for (const state of listStates(dir)) records.set(ownerTag(state.owner), { state, dir });
    } catch (e) {
      problems.push(`${(e as Error).message}: the [::1] listeners of its records are not shown (run as root)`);
    }
  }
  return records;
}

async function listenerView(record: ProxyRecord, recorded: Recorded, proxies: Pick<ProxyAccess, 'runs'>): Promise<Loopback6Listener> {
  const running = await proxies.runs(record, recorded.dir, recorded.state.owner);
  const how = record.via === 'systemd' ? { unit: record.unit } : record.pid !== undefined ? { pid: record.pid } : {};
  return { published: true, port: record.port, target: record.target, via: record.via, ...how, running };
}

function onLoopback6(mapping: PortMapping): boolean {
  return mapping.hostIP === undefined || mapping.hostIP === '' || mapping.hostIP === '::1';
}

async function loopback6Of(
  mapping: PortMapping,
  recorded: Recorded | undefined,
  proxies: Pick<ProxyAccess, 'runs'>,
): Promise<Loopback6View | undefined> {
  if (!onLoopback6(mapping)) return undefined;
  if (mapping.protocol !== 'tcp') {
    return { published: false, reason: `${mapping.protocol.toUpperCase()} is not published on [::1] (the proxy is stream-only)` };
  }
  if (recorded === undefined) return { published: false, reason: 'no port record for this attachment' };
  const record = recorded.state.proxies?.find((p) => p.port === mapping.hostPort);
  if (record === undefined)
    return { published: false, reason: 'no [::1] proxy recorded ("localhost": false, or published before [::1] was)' };
  return listenerView(record, recorded, proxies);
}

/** `[fd89::5]:80` → address `fd89::5`, port 80. */
function splitTarget(target: string): { address: string; port: number } {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(target);
  return { address: match?.[1] ?? target, port: Number(match?.[2] ?? 0) };
}

async function recordOnlyRows(recorded: Recorded, shown: Set<number>, proxies: Pick<ProxyAccess, 'runs'>): Promise<PublishedPort[]> {
  const rows: PublishedPort[] = [];
  for (const record of recorded.state.proxies ?? []) {
    if (shown.has(record.port)) continue;
    const { address, port } = splitTarget(record.target);
    rows.push({
      protocol: 'tcp',
      hostIP: '::1',
      hostPort: record.port,
      containerPort: port,
      network: recorded.state.owner.network,
      containerId: recorded.state.owner.containerId,
      ifname: recorded.state.owner.ifname,
      containerAddresses: [address],
      loopback6: await listenerView(record, recorded, proxies),
      recordOnly: true,
    });
  }
  return rows;
}

export interface PortsQuery {
  cacheDir: string;
  /** The networks whose port records to read, beside the directories the cached ADDs used. */
  lists?: readonly NetworkConfigList[];
  network?: string;
  proxies?: Pick<ProxyAccess, 'runs'>;
}

export async function collectPorts(query: PortsQuery): Promise<PortsListing> {
  const { network, proxies = systemProxies } = query;
  const entries = await listCacheEntries(query.cacheDir, network === undefined ? {} : { networkName: network });
  const problems: string[] = [];
  const lists = (query.lists ?? []).filter((list) => network === undefined || list.name === network);
  const dirs = new Set([...lists.flatMap(portsStateDirs), ...entries.flatMap(cachedStateDirs)]);
  const records = readRecords(dirs, problems);
  const ports: PublishedPort[] = [];
  for (const entry of entries) {
    const tag = ownerTag(attachmentOfEntry(entry));
    const recorded = records.get(tag);
    records.delete(tag);
    const shown = new Set<number>();
    for (const mapping of portMappingsOf(entry.capabilityArgs)) {
      const loopback6 = await loopback6Of(mapping, recorded, proxies);
      if (loopback6?.published) shown.add(mapping.hostPort);
      ports.push({
        ...mapping,
        network: entry.networkName,
        containerId: entry.containerId,
        ifname: entry.ifname,
        containerAddresses: containerAddresses(entry, mapping),
        ...(loopback6 !== undefined && { loopback6 }),
      });
    }
    if (recorded !== undefined) ports.push(...(await recordOnlyRows(recorded, shown, proxies)));
  }
  for (const recorded of records.values()) {
    if (network === undefined || recorded.state.owner.network === network)
      ports.push(...(await recordOnlyRows(recorded, new Set(), proxies)));
  }
  return { ports, problems };
}
