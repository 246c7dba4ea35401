// Where what our plugins published is written down, read from the networks and the result
// cache alone, never guessed from the host: the port records (`portsStateDir` of the zone and
// zone-ports entries, default /run/cni-zones/ports) and the zones with members (cached
// attachments whose namespace still exists): their isolation, from their configuration, and,
// for zones of the netlink backend with ipMasq, the subnets to masquerade (the gateways IPAM
// handed those attachments, as the ADDs that masqueraded them used).
import type { NetConf } from '../../../lib/cni/config.js';
import type { Result } from '../../../lib/cni/types.js';
import type { Detection } from '../../../lib/networkd/networkd.js';
import { loadPortsConfigForDel } from '../../../lib/ports/config.js';
import { listCacheEntries } from '../../../lib/runtime/cache.js';
import type { CacheEntry } from '../../../lib/runtime/cache-format.js';
import { type NetworkConfigList, parseConfList, type PluginConfig } from '../../../lib/runtime/conf.js';
import { gatewaysOf, loadZoneConfig, subnetOf, type ZoneConfig } from '../../../lib/zone/plan.js';
import { netnsIsPresent } from '../netns.js';

const PORTS_PLUGINS = new Set(['zone', 'zone-ports']);

/** A plugin's configuration as a request of the network carries it. */
function pluginConf(list: NetworkConfigList, plugin: PluginConfig): NetConf {
  return { ...plugin.conf, name: list.name, cniVersion: list.cniVersion } as NetConf;
}

/** The port record directories of a network's zone and zone-ports entries. */
export function portsStateDirs(list: NetworkConfigList): string[] {
  const dirs = list.plugins.filter((p) => PORTS_PLUGINS.has(p.type)).map((p) => loadPortsConfigForDel(pluginConf(list, p)).stateDir);
  return [...new Set(dirs)];
}

/** The record directories of the configuration a cached ADD ran with; none when it cannot be read. */
export function cachedStateDirs(entry: CacheEntry): string[] {
  try {
    return portsStateDirs(parseConfList(entry.config, `cached configuration of ${entry.containerId}`));
  } catch {
    return [];
  }
}

/** A zone with members, whose rules in our table are ours to keep. */
export interface MemberZone {
  network: string;
  config: ZoneConfig;
  /** The subnets its attachments use. */
  subnets: string[];
  /** Whether its masquerade is ours: the netlink backend, ipMasq, and subnets to masquerade. */
  masquerade: boolean;
}

/** Whether the zone's bridge is ours over netlink (networkd masquerades its own zones). */
function netlinkBackend(config: ZoneConfig, networkd: Detection): boolean {
  return config.backend === 'netlink' || (config.backend === 'auto' && networkd.presence === 'absent');
}

/** The cached attachments whose namespace is still there. */
function liveEntries(entries: readonly CacheEntry[]): CacheEntry[] {
  return entries.filter((entry) => netnsIsPresent(entry.netns));
}

/** The subnets of the attachments' gateways, in order, once each. */
function attachmentSubnets(entries: readonly CacheEntry[]): string[] {
  const subnets = new Set<string>();
  for (const entry of entries) {
    const result = entry.result as Result | undefined;
    for (const gateway of gatewaysOf(result?.ips ?? [])) subnets.add(subnetOf(gateway));
  }
  return [...subnets];
}

/** The configuration of the network's zone plugin; undefined when it has none. */
export function zoneConfigOf(list: NetworkConfigList): ZoneConfig | undefined {
  const plugin = list.plugins.find((p) => p.type === 'zone');
  return plugin === undefined ? undefined : loadZoneConfig(pluginConf(list, plugin));
}

/** The network's zone when an attachment of it is still there (its namespace exists); else undefined. */
export async function memberZone(list: NetworkConfigList, cacheDir: string, networkd: Detection): Promise<MemberZone | undefined> {
  const config = zoneConfigOf(list);
  if (config === undefined) return undefined;
  const live = liveEntries(await listCacheEntries(cacheDir, { networkName: list.name }));
  if (live.length === 0) return undefined;
  const subnets = attachmentSubnets(live);
  const masquerade = config.ipMasq && netlinkBackend(config, networkd) && subnets.length > 0;
  return { network: list.name, config, subnets, masquerade };
}
