// `zonectl gc`: CNI GC of a network the way libcni runs it. Plain, the valid attachments are
// the cached ones whose network namespace still exists and that no record places in an earlier
// boot (a namespace path a new container reuses must not keep an old attachment alive). With
// `boot`, only what earlier boots left goes: every attachment known to the cache or to our
// records is valid unless its records carry an earlier boot's ID (gc-records.ts), so nothing
// of this boot is touched, even an attachment no cache lists. What went away is read from the
// host before and after: attachments, host veths of the network (tagged with their owner), and
// IPAM allocations.
import { asCniError } from '../../lib/cni/errors.js';
import type { Attachment } from '../../lib/cni/types.js';
import { formatAddress } from '../../lib/ip/index.js';
import { readAllocations } from '../../lib/ipam/store.js';
import { parseAttachmentAlias } from '../../lib/names/attachment.js';
import type { RuntimePaths } from '../../lib/nspawn/runtime-paths.js';
import { Rtnl } from '../../lib/rtnl/client.js';
import { listCacheEntries } from '../../lib/runtime/cache.js';
import type { NetworkConfigList } from '../../lib/runtime/conf.js';
import { gcNetworkList } from '../../lib/runtime/gc.js';
import { currentBootId, shortBootId } from '../../lib/system/boot-id.js';
import { attachmentBoot, earlierBootId, ipamStores, type KnownAttachment, knownAttachments } from './gc-records.js';
import { netnsIsPresent } from './netns.js';

export interface RemovedAttachment {
  containerId: string;
  ifname: string;
  netns: string;
  /** Why it was stale: `namespace /run/netns/x is gone`, `from boot 1a2b3c4d…, not this one`. */
  why: string;
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

export interface GcMode {
  /** Only what earlier boots left (`zonectl gc --boot`). */
  boot: boolean;
}

interface LinkOwner {
  containerId: string;
  ifname: string;
}

async function networkLinks(network: string): Promise<Map<string, LinkOwner>> {
  const rt = await Rtnl.open();
  try {
    const links = new Map<string, LinkOwner>();
    for (const link of await rt.listLinks()) {
      const owner = parseAttachmentAlias(link.alias);
      if (owner?.network === network) links.set(link.name, { containerId: owner.containerId, ifname: owner.ifname });
    }
    return links;
  } finally {
    rt.close();
  }
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

function plain(a: Attachment): Attachment {
  return { network: a.network, containerId: a.containerId, ifname: a.ifname };
}

interface Stale {
  attachment: KnownAttachment;
  why: string;
  /** Made in an earlier boot: its namespace is gone whatever is at its cached path now. */
  earlierBoot: boolean;
}

/** Which known attachments go, and why; every other one is valid. */
export function staleAttachments(known: readonly KnownAttachment[], thisBoot: string | undefined, mode: GcMode): Stale[] {
  return known.flatMap((attachment): Stale[] => {
    const earlier = attachmentBoot(attachment, thisBoot) === 'earlier' ? earlierBootId(attachment, thisBoot) : undefined;
    if (earlier !== undefined) return [{ attachment, why: `from boot ${shortBootId(earlier)}, not this one`, earlierBoot: true }];
    if (mode.boot || !attachment.cached) return [];
    const netns = attachment.cached.netns;
    // A record naming no namespace (a runtime that cached neither netns nor sandbox) proves
    // nothing gone: GC never takes what it cannot show dead; an earlier boot's is caught above.
    if (!netns) return [];
    return netnsIsPresent(netns) ? [] : [{ attachment, why: `namespace ${netns} is gone`, earlierBoot: false }];
  });
}

/** Plain GC keeps only cached attachments (the runtime's word); --boot keeps every one of this boot. */
function validAttachments(known: readonly KnownAttachment[], stale: readonly Stale[], mode: GcMode): Attachment[] {
  const staleSet = new Set(stale.map((s) => s.attachment));
  return known.filter((a) => !staleSet.has(a) && (mode.boot || a.cached)).map(plain);
}

async function known(list: NetworkConfigList, paths: RuntimePaths): Promise<KnownAttachment[]> {
  const entries = await listCacheEntries(paths.cacheDir, { networkName: list.name });
  return knownAttachments(list, entries, [...(await networkLinks(list.name)).values()]);
}

const sameAttachment = (a: Attachment) => (b: Attachment) => a.containerId === b.containerId && a.ifname === b.ifname;

export async function collectGarbage(list: NetworkConfigList, paths: RuntimePaths, mode: GcMode = { boot: false }): Promise<GcReport> {
  const report: GcReport = { network: list.name, removedAttachments: [], removedLinks: [], releasedAddresses: [] };
  if (list.disableGC) return { ...report, skipped: 'the network sets disableGC' };
  const thisBoot = currentBootId();
  const before = await known(list, paths);
  const stale = staleAttachments(before, thisBoot, mode);
  const linksBefore = await networkLinks(list.name);
  const heldBefore = allocations(list);
  try {
    await gcNetworkList(list, validAttachments(before, stale, mode), {
      pluginDirs: paths.pluginDirs,
      cacheDir: paths.cacheDir,
      namespaceGone: stale.filter((s) => s.earlierBoot).map((s) => plain(s.attachment)),
      ...(paths.timeoutMs !== undefined && { timeoutMs: paths.timeoutMs }),
    });
  } catch (e) {
    const error = asCniError(e);
    report.error = error.details ? `${error.message}\n${error.details}` : error.message;
  }
  const after = await known(list, paths);
  report.removedAttachments = stale
    .filter((s) => !after.some(sameAttachment(s.attachment)))
    .map((s) => ({
      containerId: s.attachment.containerId,
      ifname: s.attachment.ifname,
      netns: s.attachment.cached?.netns ?? '',
      why: s.why,
    }));
  report.removedLinks = gone(linksBefore, await networkLinks(list.name)).map(([name, o]) => `${name} (${o.containerId} ${o.ifname})`);
  report.releasedAddresses = gone(heldBefore, allocations(list)).map(([address, owner]) => `${address} (${owner})`);
  return report;
}
