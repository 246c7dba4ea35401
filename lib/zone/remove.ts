// Taking a zone off this host (`zonectl remove-zone`), once it has no members: no container's
// veth and no nspawn machine on its bridge. Its bridge and VXLAN port go, its networkd files (a
// reload would bring the links back), its masquerade and isolation in our table, its name
// server, and the bridge table's rules that keep DHCP and router advertisements local once no
// VXLAN port is left on the host. A zone already gone is removed: nothing to do, no failure.
import { vxlanName } from '../networkd/vxlan-files.js';
import { bridgeName } from '../networkd/zone-files.js';
import { isNftError } from '../nft/errors.js';
import { stopKeepingZoneTrafficLocal } from '../nft/vxlan-local.js';
import { removeZoneRules } from './bridge.js';
import { isZoneVxlanPort } from './vxlan.js';
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
      for (const name of [vxlanName(target.zone), ...(link?.kind === 'bridge' ? [bridge] : [])]) {
        if (await host.deleteLinkIfExists(name)) removed.push(name);
      }
      await world.networkd.removeFiles(target.zone, target.networkDir);
      await removeRules(world, target.zone, bridge);
      await world.dns.stopServer(target.zone, target.dnsStateDir);
      if (!(await host.listLinks()).some((l) => l.name.startsWith('vx-'))) await stopKeepingZoneTrafficLocal(world.nft('bridge'));
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
