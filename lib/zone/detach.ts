// DEL: release the addresses and remove the veth pair (the host end is found by its
// derived name, so no prevResult is needed). Everything already gone counts as done;
// the bridge stays, it is the zone.
import type { Request } from '../cni/dispatch.js';
import { Rtnl } from '../rtnl/client.js';
import { loadZoneConfig } from './config.js';
import { runIpamDel } from './ipam.js';
import { hostVethName } from './names.js';
import { portsDel, wantsPorts } from '../ports/commands.js';

export async function detach(req: Request): Promise<void> {
  loadZoneConfig(req.conf);
  // Published ports go first: their target address is still this container's.
  if (wantsPorts(req)) await portsDel(req);
  const host = await Rtnl.open();
  try {
    // Deleting one end of a veth deletes the other, wherever its namespace is.
    await host.deleteLinkIfExists(hostVethName(req.env.containerId, req.env.ifname));
  } finally {
    host.close();
  }
  await runIpamDel(req);
}
