// A multi-host zone's VXLAN port as the kernel has it now, held against the zone's
// configuration: the port `vx-<zone>` (there, a VXLAN device of the configured VNI, local address
// and UDP port, up, a port of the zone's bridge), the peers its flood entries copy broadcasts to,
// and whether our `bridge cni_zones` table keeps DHCP and router discovery on this host. Read
// only. The port is expected once the zone's bridge is on this host (the first ADD makes both,
// and the port stays with the bridge); `zonectl status` shows the drift, `zonectl repair` brings
// it in line (vxlan.ts).
import { isNftError } from '../../../lib/nft/errors.js';
import type { NftTable } from '../../../lib/nft/table.js';
import { zoneTrafficLocalProblems } from '../../../lib/nft/vxlan-local.js';
import { vxlanName, type ZoneVxlan } from '../../../lib/networkd/vxlan-files.js';
import type { Links } from '../../../lib/zone/world.js';

/** The port `vx-<zone>` now; the identity fields only for a VXLAN device. */
export interface VxlanPortNow {
  name: string;
  present: boolean;
  /** The link's kind when it is there (`vxlan`, or whatever took the name). */
  kind?: string;
  vni?: number;
  local?: string;
  /** The UDP port. */
  port?: number;
  up?: boolean;
  mtu?: number;
  /** Whether it is a port of the zone's bridge. */
  onBridge?: boolean;
  /** The peers its all-zeros flood entries name. */
  floods: string[];
}

type PortReader = Pick<Links, 'getLink' | 'vxlanIdentity' | 'floodEntries'>;

/** Read the zone's VXLAN port; `bridgeIndex` is the zone bridge's, when it is there. */
export async function readVxlanPort(rt: PortReader, zone: string, bridgeIndex: number | undefined): Promise<VxlanPortNow> {
  const name = vxlanName(zone);
  const link = await rt.getLink(name);
  if (link === undefined) return { name, present: false, floods: [] };
  const now: VxlanPortNow = {
    name,
    present: true,
    ...(link.kind !== undefined && { kind: link.kind }),
    up: link.up,
    ...(link.mtu !== undefined && { mtu: link.mtu }),
    onBridge: bridgeIndex !== undefined && link.master === bridgeIndex,
    floods: [],
  };
  if (link.kind !== 'vxlan') return now;
  const identity = await rt.vxlanIdentity(name);
  if (identity !== undefined) {
    now.vni = identity.vni;
    if (identity.local !== undefined) now.local = identity.local;
    now.port = identity.port;
  }
  now.floods = await rt.floodEntries(link.index);
  return now;
}

/** Whether the device is the one the configuration describes (VNI, local address, UDP port). */
export function sameIdentity(now: VxlanPortNow, vxlan: Pick<ZoneVxlan, 'vni' | 'local' | 'port'>): boolean {
  return now.vni === vxlan.vni && now.local === vxlan.local && now.port === vxlan.port;
}

/** `VNI 4242, 192.0.2.1:4789` */
export function identityText(identity: { vni?: number | undefined; local?: string | undefined; port?: number | undefined }): string {
  const local = identity.local === undefined ? '?' : identity.local.includes(':') ? `[${identity.local}]` : identity.local;
  return `VNI ${identity.vni ?? '?'}, ${local}:${identity.port ?? '?'}`;
}

/** The configured peers the port has no flood entry for. */
export function unfloodedPeers(vxlan: Pick<ZoneVxlan, 'peers'>, now: VxlanPortNow): string[] {
  return vxlan.peers.filter((peer) => !now.floods.includes(peer));
}

/** The flood entries that name no configured peer (a peer taken out of the configuration). */
export function strayFloods(vxlan: Pick<ZoneVxlan, 'peers'>, now: VxlanPortNow): string[] {
  return now.floods.filter((peer) => !vxlan.peers.includes(peer));
}

/** How the port differs from the configuration, in the words of `zonectl status`; [] when it is as configured. */
export function vxlanPortDrift(vxlan: ZoneVxlan, now: VxlanPortNow, bridge: string): string[] {
  if (!now.present) return [`${now.name} missing`];
  if (now.kind !== 'vxlan') return [`${now.name} is a ${now.kind ?? 'device'} link, not a VXLAN port`];
  const drift: string[] = [];
  if (!sameIdentity(now, vxlan)) drift.push(`${now.name} is ${identityText(now)}, not ${identityText(vxlan)}`);
  if (!now.onBridge) drift.push(`${now.name} not on ${bridge}`);
  if (!now.up) drift.push(`${now.name} down`);
  drift.push(...unfloodedPeers(vxlan, now).map((peer) => `no flood entry for peer ${peer}`));
  drift.push(...strayFloods(vxlan, now).map((peer) => `flood entry for ${peer}, no peer`));
  return drift;
}

/**
 * What our bridge table lacks of the rules that keep DHCPv4 and router discovery off the VXLAN
 * ports; [] when they are in place. Without nft (or unreadable), that is what it says.
 */
export async function localTrafficDrift(table: NftTable): Promise<string[]> {
  try {
    return await zoneTrafficLocalProblems(table);
  } catch (e) {
    if (isNftError(e, 'unavailable')) return [`table bridge cni_zones cannot be read: nft is not available`];
    return [`table bridge cni_zones cannot be read: ${e instanceof Error ? e.message : String(e)}`];
  }
}
