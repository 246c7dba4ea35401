// GC: IPAM releases what the runtime no longer lists, and host veths of this network whose
// (container, ifname) is not valid go away; their alias names the attachment, so nothing
// but the kernel's own list of links is needed. The names of unlisted attachments leave the
// zone's names store. A zone left without members loses its isolation pairs and its name
// server, as with the DEL of its last member.
import type { GcRequest } from '../cni/dispatch.js';
import { type Attachment, isListedAttachment } from '../cni/types.js';
import type { NetConf } from '../cni/config.js';
import { dnsStateDirOfDel } from './dns.js';
import { closeEmptyZone } from './empty-zone.js';
import { loadZoneConfig, zoneOfDel } from './plan.js';
import { parseAttachmentAlias } from '../names/attachment.js';
import type { ZoneWorld } from './world.js';

export async function gc(world: ZoneWorld, req: GcRequest): Promise<void> {
  loadZoneConfig(req.conf);
  // Without a list the runtime said nothing about what to keep: removing every attachment of
  // the network would be a guess (IPAM's GC keeps its allocations then too).
  if (req.validAttachments) {
    await removeStaleVeths(world, req.conf.name, req.validAttachments);
    await pruneNames(world, req.conf, req.validAttachments);
    await closeEmptyZone(world, req.conf);
  }
  await world.ipam.gc(req);
  await world.ports.gc(req);
}

async function removeStaleVeths(world: ZoneWorld, network: string, valid: readonly Attachment[]): Promise<void> {
  const host = await world.hostLinks();
  try {
    for (const link of await host.listLinks()) {
      const owner = parseAttachmentAlias(link.alias);
      if (owner?.network === network && !isListedAttachment(valid, owner)) await host.deleteLinkIfExists(link.index);
    }
  } finally {
    host.close();
  }
}

/** Wherever the names are now: the configuration may have turned the name server off since ADD. */
async function pruneNames(world: ZoneWorld, conf: NetConf, valid: readonly Attachment[]): Promise<void> {
  const zone = zoneOfDel(conf);
  if (zone !== undefined) await world.dns.pruneNames(zone.zone, dnsStateDirOfDel(conf), conf.name, valid);
}
