// Names the zone plugin derives: the host end of a container's veth, the alias that tags it,
// and the MAC of a zone bridge it creates.
import { sha256, sha256Hex } from '../hash/sha256.js';
import type { Attachment } from '../cni/types.js';
import { ATTACHMENT_ALIAS_PREFIX } from './index.js';

/**
 * Host veth name from (container ID, ifname): deterministic, so DEL finds it without a
 * prevResult and a re-ADD after a killed ADD replaces it; 15 bytes; never `ve-*` (systemd's
 * 80-container-ve.network would give it an address pool and a DHCP server).
 */
export function hostVethName(containerId: string, ifname: string): string {
  const digest = sha256Hex(`${containerId}\0${ifname}`);
  return `vz${digest.slice(0, 13)}`;
}

/**
 * Kept in the host veth's IFLA_IFALIAS, so GC can tell whose link it is from the kernel alone;
 * lib/names bounds the network name so that it fits.
 */
export function attachmentAlias(network: string, containerId: string, ifname: string): string {
  return `${ATTACHMENT_ALIAS_PREFIX} ${network} ${containerId} ${ifname}`;
}

export function parseAttachmentAlias(alias: string | undefined): Attachment | undefined {
  const parts = alias?.split(' ');
  if (parts?.length !== 4 || parts[0] !== ATTACHMENT_ALIAS_PREFIX) return undefined;
  const [, network, containerId, ifname] = parts as [string, string, string, string];
  return { network, containerId, ifname };
}

/**
 * A fixed MAC for a bridge we create, from the machine ID and the bridge name (as networkd
 * derives one for its netdevs). A bridge without one takes the lowest MAC of its ports and
 * changes it as containers come and go, so containers' neighbour entries for the gateway go
 * stale; locally administered, unicast.
 */
export function bridgeMac(bridge: string, machineId: string, vxlanLocal?: string): string {
  // A zone across hosts is one layer 2: hosts cloned from one image share a machine ID, and their
  // bridges must still differ (a shared MAC makes IPv6 link-local addresses fail DAD).
  const seed = vxlanLocal === undefined ? `cni-zones\0${machineId}\0${bridge}` : `cni-zones\0${machineId}\0${bridge}\0${vxlanLocal}`;
  const bytes = sha256(seed).subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
