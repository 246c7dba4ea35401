// The VXLAN port of a multi-host zone: `vx-<zone>` on the zone's bridge carries the zone's frames
// to the other hosts (`vxlan.peers`) and back, a copy of every broadcast to each peer through one
// all-zeros flood entry per peer. Made by networkd from our files (lib/networkd/vxlan-files.ts)
// or over rtnetlink, under the zone lock (bridge.ts calls it), and brought in line on every ADD
// and `zonectl repair`:
// - a port whose VNI, local address or port is not the configuration's is made again (the
//   kernel cannot change them), which members on this host do not notice;
// - flood entries of peers taken out of the configuration go (networkd never removes them), the
//   missing ones come; running members keep their traffic to the peers that stay;
// - what must stay on this host (DHCP, router advertisements) is kept there by our bridge table
//   (lib/nft/vxlan-local.ts), which goes with the host's last VXLAN port;
// - a zone whose configuration no longer has `vxlan` loses its port (dropVxlanPort): networkd
//   never deletes a device whose .netdev went.
// The port is the zone's, not a member: a zone whose bridge holds only it is empty.
// The MTU of a multi-host zone is the underlay's less the VXLAN overhead, so that a full frame of
// a member still fits one underlay packet; a configured `mtu` wins.
import { join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { familyOf } from '../ip/index.js';
import { vxlanFileNames, vxlanName } from '../networkd/vxlan-files.js';
import { keepZoneTrafficLocal, stopKeepingZoneTrafficLocal } from '../nft/vxlan-local.js';
import type { Link } from '../rtnl/links.js';
import type { VxlanIdentity } from '../rtnl/vxlan.js';
import type { ZoneConfig } from './plan.js';
import type { Links, ResolvedBackend, ZoneWorld } from './world.js';

type Vxlan = NonNullable<ZoneConfig['vxlan']>;

/** Outer Ethernet, IP, UDP and VXLAN headers (RFC 7348). */
const OVERHEAD = { 4: 50, 6: 70 } as const;

/** Whether `link` is the VXLAN port of the zone whose bridge is `bridge` (`vz-<zone>` → `vx-<zone>`). */
export function isZoneVxlanPort(link: Pick<Link, 'name'>, bridge: string): boolean {
  return link.name === `vx-${bridge.slice('vz-'.length)}`;
}

/**
 * The MTU the zone's links get: the configured `mtu`; for a multi-host zone without one, the MTU
 * of the link holding `vxlan.local` less the VXLAN overhead. An address on no link is a host
 * still coming up (its underlay not configured yet): code 11, try again later.
 */
export async function zoneMtu(rt: Links, config: ZoneConfig): Promise<number | undefined> {
  if (config.mtu !== undefined || !config.vxlan) return config.mtu;
  const local = config.vxlan.local;
  const holder = (await rt.listAddresses()).find((a) => a.address === local);
  const link = holder && (await rt.getLinkByIndex(holder.index));
  if (!link?.mtu) {
    throw new CniError(
      ErrorCode.TryAgainLater,
      `vxlan.local ${local} is on no link of this host`,
      'the zone reaches its peers from this address: give it to the underlay link, or correct "vxlan.local"',
    );
  }
  return link.mtu - OVERHEAD[familyOf(local) ?? 4];
}

function sameIdentity(identity: VxlanIdentity | undefined, vxlan: Vxlan): boolean {
  return identity?.vni === vxlan.vni && identity.local === vxlan.local && identity.port === vxlan.port;
}

/**
 * Caller holds the zone lock. The zone's VXLAN port as the configuration says, on `bridge`,
 * with a flood entry for each peer and no other; true when this call made the port.
 */
export async function ensureVxlanPort(
  world: ZoneWorld,
  rt: Links,
  config: ZoneConfig & { vxlan: Vxlan },
  bridge: Link,
  backend: ResolvedBackend,
  mtu: number | undefined,
): Promise<boolean> {
  const name = vxlanName(config.zone);
  const existing = await rt.getLink(name);
  if (existing && existing.kind !== 'vxlan') {
    throw new CniError(
      ErrorCode.BridgeConflict,
      `${name} exists but is a ${existing.kind ?? 'device'} link, not a VXLAN port`,
      'remove it',
    );
  }
  const stale = existing !== undefined && !sameIdentity(await rt.vxlanIdentity(name), config.vxlan);
  if (stale) await rt.deleteLinkIfExists(existing.index);
  const port =
    backend === 'networkd'
      ? await networkdPort(world, rt, config, stale)
      : await netlinkPort(rt, config, name, stale ? undefined : existing, mtu);
  if (port.master !== bridge.index) await rt.setMaster(port, bridge.index);
  if (!port.up) await rt.setUp(port);
  await alignFloodEntries(rt, port, config.vxlan.peers);
  await keepZoneTrafficLocal(world.nft('bridge'));
  return existing === undefined || stale;
}

async function netlinkPort(
  rt: Links,
  config: ZoneConfig & { vxlan: Vxlan },
  name: string,
  existing: Link | undefined,
  mtu: number | undefined,
): Promise<Link> {
  if (existing) return existing;
  const { vni, local, port } = config.vxlan;
  return rt.createVxlan({ name, vni, local, port, ...(mtu !== undefined && { mtu }) });
}

/** networkd makes the port from our files; a reload brings back one that was removed (or remade here). */
async function networkdPort(world: ZoneWorld, rt: Links, config: ZoneConfig, reload: boolean): Promise<Link> {
  const name = vxlanName(config.zone);
  if (reload || !(await rt.getLink(name))) await world.networkd.reload();
  await world.networkd.waitConfigured(name, join(config.networkDir, vxlanFileNames(config.zone).network));
  const port = await rt.getLink(name);
  if (!port) throw new CniError(ErrorCode.TryAgainLater, `systemd-networkd has not made ${name}`, `check networkctl status ${name}`);
  return port;
}

async function alignFloodEntries(rt: Links, port: Link, peers: readonly string[]): Promise<void> {
  const present = await rt.floodEntries(port.index);
  for (const gone of present.filter((peer) => !peers.includes(peer))) await rt.deleteFloodEntry(port.index, gone);
  for (const peer of peers.filter((p) => !present.includes(p))) await rt.addFloodEntry(port.index, peer);
}

/**
 * Caller holds the zone lock. The zone is not (or no longer) multi-host: its VXLAN port goes,
 * only if it is one and on the zone's bridge (another `vx-<zone>` is not ours); true when it went.
 */
export async function dropVxlanPort(world: ZoneWorld, rt: Links, zone: string, bridge: Link): Promise<boolean> {
  const port = await rt.getLink(vxlanName(zone));
  if (port?.kind !== 'vxlan' || port.master !== bridge.index) return false;
  await rt.deleteLinkIfExists(port.index);
  await stopKeepingTrafficLocalIfLastPort(world, rt);
  return true;
}

/** Caller holds the zone lock. The bridge table's rules match any `vx-*` port: they go once the host has none. */
export async function stopKeepingTrafficLocalIfLastPort(world: ZoneWorld, rt: Links): Promise<void> {
  if ((await rt.listLinks()).some((l) => l.name.startsWith('vx-'))) return;
  await stopKeepingZoneTrafficLocal(world.nft('bridge'));
}

/** What CHECK finds wrong with the zone's VXLAN port: [] when it is as the configuration says. */
export async function vxlanPortProblems(rt: Links, config: ZoneConfig & { vxlan: Vxlan }, bridge: Link): Promise<string[]> {
  const name = vxlanName(config.zone);
  const port = await rt.getLink(name);
  if (!port) return [`${name} is missing`];
  const problems: string[] = [];
  const identity = await rt.vxlanIdentity(name);
  if (!sameIdentity(identity, config.vxlan)) {
    const { vni, local, port: udp } = config.vxlan;
    problems.push(`${name} is VNI ${identity?.vni} from ${identity?.local}:${identity?.port}, not VNI ${vni} from ${local}:${udp}`);
  }
  if (port.master !== bridge.index) problems.push(`${name} is not a port of ${bridge.name}`);
  if (!port.up) problems.push(`${name} is down`);
  const floods = await rt.floodEntries(port.index);
  const missing = config.vxlan.peers.filter((peer) => !floods.includes(peer));
  const extra = floods.filter((peer) => !config.vxlan.peers.includes(peer));
  if (missing.length > 0) problems.push(`${name} does not reach peer ${missing.join(', ')}`);
  if (extra.length > 0) problems.push(`${name} still reaches ${extra.join(', ')}, no peer any more`);
  return problems;
}
