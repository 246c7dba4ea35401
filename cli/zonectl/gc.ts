// `zonectl gc`: CNI GC of a network the way libcni runs it, with the valid attachments taken
// from the result cache and kept only while their network namespace still exists. What went
// away is read from the host before and after: stale cache records (each DELed), host veths
// of the network (tagged with their owner), and IPAM allocations.
import { asCniError } from '../../lib/cni/errors.js';
import type { Attachment } from '../../lib/cni/types.js';
import { formatAddress } from '../../lib/ip/index.js';
import { DEFAULT_DATA_DIR, readAllocations, storeDir } from '../../lib/ipam/store.js';
import type { RuntimePaths } from '../../lib/nspawn/runtime-paths.js';
import { Rtnl } from '../../lib/rtnl/client.js';
import { listCacheEntries } from '../../lib/runtime/cache.js';
import type { CacheEntry } from '../../lib/runtime/cache-format.js';
import type { NetworkConfigList } from '../../lib/runtime/conf.js';
import { gcNetworkList } from '../../lib/runtime/gc.js';
import { parseAttachmentAlias } from '../../lib/names/attachment.js';
import { netnsIsPresent } from './netns.js';

export interface RemovedAttachment {
  containerId: string;
  ifname: string;
  netns: string;
}

export interface GcReport {
  network: string;
  /** Why nothing ran (disableGC). */
  skipped?: string;
  removedAttachments: RemovedAttachment[];
  /** Host veths of this network that are gone. */
  removedLinks: string[];
  /** `10.89.0.5 (web eth0)` */
  releasedAddresses: string[];
  error?: string;
}

async function networkLinks(network: string): Promise<Map<string, string>> {
  const rt = await Rtnl.open();
  try {
    const links = new Map<string, string>();
    for (const link of await rt.listLinks()) {
      const owner = parseAttachmentAlias(link.alias);
      if (owner?.network === network) links.set(link.name, `${owner.containerId} ${owner.ifname}`);
    }
    return links;
  } finally {
    rt.close();
  }
}

/** IPAM stores of the chain (zone-ipam and host-local share one layout). */
function ipamStores(list: NetworkConfigList): string[] {
  const dirs = list.plugins.flatMap((plugin) => {
    const ipam = plugin.conf.ipam as { type?: unknown; dataDir?: unknown } | undefined;
    if (ipam?.type !== 'zone-ipam' && ipam?.type !== 'host-local' && plugin.type !== 'zone-ipam') return [];
    const dataDir = typeof ipam?.dataDir === 'string' && ipam.dataDir ? ipam.dataDir : DEFAULT_DATA_DIR;
    return [storeDir(dataDir, list.name)];
  });
  return [...new Set(dirs)];
}

function allocations(list: NetworkConfigList): Map<string, string> {
  const held = new Map<string, string>();
  for (const dir of ipamStores(list)) {
    try {
      for (const a of readAllocations(dir)) held.set(formatAddress(a.address), [a.containerId, a.ifname].filter(Boolean).join(' '));
    } catch {
      // An unreadable store shows nothing released; GC itself reports the failure.
    }
  }
  return held;
}

function gone<T>(before: Map<string, T>, after: Map<string, T>): [string, T][] {
  return [...before].filter(([key]) => !after.has(key));
}

function attachmentOf(entry: CacheEntry): Attachment {
  return { network: entry.networkName, containerId: entry.containerId, ifname: entry.ifname };
}

export async function collectGarbage(list: NetworkConfigList, paths: RuntimePaths): Promise<GcReport> {
  const report: GcReport = { network: list.name, removedAttachments: [], removedLinks: [], releasedAddresses: [] };
  if (list.disableGC) return { ...report, skipped: 'the network sets disableGC' };
  const entries = await listCacheEntries(paths.cacheDir, { networkName: list.name });
  const valid = entries.filter((e) => netnsIsPresent(e.netns));
  const stale = entries.filter((e) => !valid.includes(e));
  const linksBefore = await networkLinks(list.name);
  const heldBefore = allocations(list);
  try {
    await gcNetworkList(list, valid.map(attachmentOf), {
      pluginDirs: paths.pluginDirs,
      cacheDir: paths.cacheDir,
      ...(paths.timeoutMs !== undefined && { timeoutMs: paths.timeoutMs }),
    });
  } catch (e) {
    const error = asCniError(e);
    report.error = error.details ? `${error.message}\n${error.details}` : error.message;
  }
  const remaining = await listCacheEntries(paths.cacheDir, { networkName: list.name });
  const stillCached = (e: CacheEntry) => remaining.some((r) => r.containerId === e.containerId && r.ifname === e.ifname);
  report.removedAttachments = stale
    .filter((e) => !stillCached(e))
    .map((e) => ({ containerId: e.containerId, ifname: e.ifname, netns: e.netns ?? '' }));
  report.removedLinks = gone(linksBefore, await networkLinks(list.name)).map(([name, owner]) => `${name} (${owner})`);
  report.releasedAddresses = gone(heldBefore, allocations(list)).map(([address, owner]) => `${address} (${owner})`);
  return report;
}
