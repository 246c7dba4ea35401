// DEL: take an attachment away by what names it — network, container ID, ifname — and never by
// the rest of the configuration, which may have changed since ADD or be broken (SPEC: DEL
// cleans up as much as it can). Published ports go by their record and tag, the host end of
// the veth by its derived name (the container end goes with it), the addresses by their owner
// in the store. Every step runs even when one before it failed, and all failures are reported
// together; whatever is already gone counts as done. The bridge stays: it is the zone. When it
// has no port left, the zone's isolation pairs go and its name server stops (empty-zone.ts):
// the zone has no member. The container's names go before its veth.
//
// CNI_NETNS is never opened: nothing of DEL happens inside the container. A namespace that is
// gone, the host's own namespace or a path that is no namespace at all (a FIFO, a file) so
// cannot make DEL touch the host or hang; such a DEL cleans up by the names above and succeeds.
import type { Request } from '../cni/dispatch.js';
import { hostVethName } from '../names/attachment.js';
import { forgetNames } from './dns.js';
import { closeEmptyZone } from './empty-zone.js';
import { combined, runAll } from './steps.js';
import type { ZoneWorld } from './world.js';

export async function detach(world: ZoneWorld, req: Request): Promise<void> {
  const { containerId, ifname } = req.env;
  const failures = await runAll([
    // Published ports first: their target address is still this container's.
    async () => (world.ports.recorded(req) ? world.ports.del(req) : undefined),
    // Its names before its veth: nobody finds the container by a name once it is gone.
    () => forgetNames(world, req.conf, { network: req.conf.name, containerId, ifname }),
    () => removeHostVeth(world, hostVethName(containerId, ifname)),
    () => closeEmptyZone(world, req.conf),
    () => world.ipam.del(req),
  ]);
  if (failures.length > 0) throw combined(failures, 'DEL');
}

async function removeHostVeth(world: ZoneWorld, name: string): Promise<void> {
  const host = await world.hostLinks();
  try {
    // Deleting one end of a veth deletes the other, wherever its namespace is.
    await host.deleteLinkIfExists(name);
  } finally {
    host.close();
  }
}
