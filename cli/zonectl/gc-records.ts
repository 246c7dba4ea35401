// Every attachment of a network that something of ours or the runtime's still knows of (the
// result cache, IPAM allocations, port records, registered names, host veths by their alias),
// with the boot IDs its records carry: what `zonectl gc` weighs, and what `zonectl gc --boot`
// keeps when it is of this boot. An attachment is of an earlier boot when its records carry
// boot IDs and none is this boot's; records without one (host-local's allocations, files of
// older versions, the runtime's cache, links) say nothing either way.
import type { NetConf } from '../../lib/cni/config.js';
import type { Attachment } from '../../lib/cni/types.js';
import { namesFilePath, readNamesFile } from '../../lib/dns/names.js';
import { DEFAULT_DATA_DIR, readAllocationsWithBoot, storeDir } from '../../lib/ipam/store.js';
import { loadPortsConfigForDel } from '../../lib/ports/config.js';
import { listStates } from '../../lib/ports/state.js';
import type { CacheEntry } from '../../lib/runtime/cache-format.js';
import type { NetworkConfigList } from '../../lib/runtime/conf.js';
import { type BootOrigin, bootOrigin } from '../../lib/system/boot-id.js';
import { dnsStateDirOfDel } from '../../lib/zone/dns.js';
import { zoneOfDel } from '../../lib/zone/plan.js';

export interface KnownAttachment extends Attachment {
  /** The boot IDs its records carry (none when no record tells). */
  bootIds: Set<string>;
  /** The runtime's cache entry, when it has one. */
  cached?: CacheEntry;
}

type Owner = { containerId: string; ifname?: string | undefined; bootId?: string | undefined };

/** The known attachments, each once; `linkOwners` are the (container, ifname) pairs of the network's host veths. */
export function knownAttachments(list: NetworkConfigList, cached: readonly CacheEntry[], linkOwners: readonly Owner[]): KnownAttachment[] {
  const known = new Map<string, KnownAttachment>();
  const add = (owner: Owner, entry?: CacheEntry) => {
    // An allocation of an old host-local version names no interface: its attachment is unknown.
    if (!owner.ifname) return;
    const key = `${owner.containerId}\0${owner.ifname}`;
    let item = known.get(key);
    if (!item) {
      item = { network: list.name, containerId: owner.containerId, ifname: owner.ifname, bootIds: new Set() };
      known.set(key, item);
    }
    if (owner.bootId) item.bootIds.add(owner.bootId);
    if (entry) item.cached = entry;
  };
  for (const entry of cached) add(entry, entry);
  for (const owner of [...recordOwners(list), ...linkOwners]) add(owner);
  return [...known.values()];
}

/** The attachment's boot: this one if any record says so (a live attachment is never touched), earlier if all that tell say another. */
export function attachmentBoot(attachment: Pick<KnownAttachment, 'bootIds'>, thisBoot: string | undefined): BootOrigin {
  const origins = [...attachment.bootIds].map((id) => bootOrigin(id, thisBoot));
  if (origins.includes('this')) return 'this';
  return origins.includes('earlier') ? 'earlier' : 'unknown';
}

/** An earlier boot's ID among the attachment's records, for the report. */
export function earlierBootId(attachment: Pick<KnownAttachment, 'bootIds'>, thisBoot: string | undefined): string | undefined {
  return [...attachment.bootIds].find((id) => bootOrigin(id, thisBoot) === 'earlier');
}

function recordOwners(list: NetworkConfigList): Owner[] {
  return [...allocationOwners(list), ...portsOwners(list), ...nameOwners(list)];
}

function pluginConfs(list: NetworkConfigList): NetConf[] {
  return list.plugins.map((plugin) => ({ ...plugin.conf, name: list.name, type: plugin.type }) as NetConf);
}

/** IPAM stores of the chain (zone-ipam and host-local share one layout). */
export function ipamStores(list: NetworkConfigList): string[] {
  const dirs = list.plugins.flatMap((plugin) => {
    const ipam = plugin.conf.ipam as { type?: unknown; dataDir?: unknown } | undefined;
    if (ipam?.type !== 'zone-ipam' && ipam?.type !== 'host-local' && plugin.type !== 'zone-ipam') return [];
    const dataDir = typeof ipam?.dataDir === 'string' && ipam.dataDir ? ipam.dataDir : DEFAULT_DATA_DIR;
    return [storeDir(dataDir, list.name)];
  });
  return [...new Set(dirs)];
}

function allocationOwners(list: NetworkConfigList): Owner[] {
  return ipamStores(list).flatMap((dir) => unlessUnreadable(() => readAllocationsWithBoot(dir)));
}

function portsOwners(list: NetworkConfigList): Owner[] {
  const dirs = new Set(
    pluginConfs(list)
      .filter((conf) => conf.type === 'zone' || conf.type === 'zone-ports')
      .flatMap((conf) => unlessUnreadable(() => [loadPortsConfigForDel(conf).stateDir])),
  );
  return [...dirs].flatMap((dir) =>
    unlessUnreadable(() => listStates(dir))
      .filter((state) => state.owner.network === list.name)
      .map((state) => ({ ...state.owner, bootId: state.bootId })),
  );
}

function nameOwners(list: NetworkConfigList): Owner[] {
  return pluginConfs(list)
    .filter((conf) => conf.type === 'zone')
    .flatMap((conf) => {
      const zone = zoneOfDel(conf);
      if (!zone) return [];
      return unlessUnreadable(() => readNamesFile(namesFilePath(zone.zone, dnsStateDirOfDel(conf)))).flatMap((entry) =>
        'machine' in entry.owner || entry.owner.network !== list.name ? [] : [{ ...entry.owner, bootId: entry.bootId }],
      );
    });
}

/** A store we cannot read tells nothing; the plugins' GC reports the failure. */
function unlessUnreadable<T>(read: () => T[]): T[] {
  try {
    return read();
  } catch {
    return [];
  }
}
