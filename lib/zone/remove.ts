// Taking a zone off this host (`zonectl remove-zone`), once it has no members: no container's
// veth and no nspawn machine on its bridge. Its bridge and VXLAN port go, its networkd files (a
// reload would bring the links back), its masquerade and isolation in our table, its name
// server, and the bridge table's rules that keep DHCP and router advertisements local once no
// VXLAN port is left on the host. A zone already gone is removed: nothing to do, no failure.
// networkd (measured, 252) makes a device again on reload while its .netdev is there, and keeps
// a removed .network's settings until it reloads (a bridge nspawn made for the zone later would
// still get our gateways and DHCP server): so the files go first, then the links, and networkd
// reloads at the end when files of ours were there.
import { vxlanName } from '../networkd/vxlan-files.js';
import { bridgeName } from '../networkd/zone-files.js';
import { isNftError } from '../nft/errors.js';
import { removeZoneRules } from './bridge.js';
import { isZoneVxlanPort, stopKeepingTrafficLocalIfLastPort } from './vxlan.js';
import type { ZoneWorld } from './world.js';

export interface ZoneToRemove {
  zone: string;
  /** Where its networkd files are, if any. */
  networkDir: string;
  /** Where its name server keeps its record. */
  dnsStateDir: string;
}

/** The zone still has members: nothing was changed. */
export class ZoneInUseError extends Error {
  constructor(
    readonly zone: string,
    readonly members: readonly string[],
  ) {
    super(`zone ${zone} still has members on its bridge: ${members.join(', ')}`);
  }
}

/** Remove the zone from this host; what was there to remove, by name. */
export async function removeZone(world: ZoneWorld, target: ZoneToRemove): Promise<string[]> {
  const bridge = bridgeName(target.zone);
  const removed: string[] = [];
  const host = await world.hostLinks();
  try {
    await world.withZoneLock(async () => {
      const link = await host.getLink(bridge);
      const ports = link?.kind === 'bridge' ? (await host.listLinks()).filter((l) => l.master === link.index) : [];
      const members = ports.filter((port) => !isZoneVxlanPort(port, bridge)).map((port) => port.name);
      if (members.length > 0) throw new ZoneInUseError(target.zone, members);
      const files = await world.networkd.removeFiles(target.zone, target.networkDir);
      // Only a VXLAN device and a bridge are the zone's: a link of another kind by those names is not.
      const port = await host.getLink(vxlanName(target.zone));
      for (const doomed of [port?.kind === 'vxlan' ? port : undefined, link?.kind === 'bridge' ? link : undefined]) {
        if (doomed && (await host.deleteLinkIfExists(doomed.index))) removed.push(doomed.name);
      }
      await removeRules(world, target.zone, bridge);
      await world.dns.stopServer(target.zone, target.dnsStateDir);
      await stopKeepingTrafficLocalIfLastPort(world, host);
      // Last: a networkd that does not answer (code 11) fails only this step. Without files of
      // ours there is nothing for it to forget, and no cause to disturb a networkd that is not
      // the zone's (a netlink zone in a namespace shares the host's /run).
      if (files.changed && (await world.backend('auto')) === 'networkd') await world.networkd.reload();
    });
  } finally {
    host.close();
  }
  return removed;
}

async function removeRules(world: ZoneWorld, zone: string, bridge: string): Promise<void> {
  try {
    await removeZoneRules(world, { zone, bridge, ipMasq: true });
  } catch (e) {
    // Without nftables no ADD wrote anything there.
    if (!isNftError(e, 'unavailable')) throw e;
  }
}
