// `zonectl repair` of a multi-host zone whose bridge is on this host (members or not: the port
// stays with the bridge): its VXLAN port brought in line with the configuration as it is now —
// made again when missing or of another VNI, local address or UDP port, put on the bridge and up,
// flood entries of peers added to the conflist added and of peers taken out removed — and our
// `bridge cni_zones` table, which a ruleset flush takes with it, put back. It is the ADD's own
// ensureVxlanPort (lib/zone/vxlan.ts) under the zone lock, as bridge.ts runs it, so repair and
// ADD never disagree; with the networkd backend the port's files are written first, so networkd
// (re)makes it as configured and a later reload brings back no peer taken out. Nothing is done
// when nothing differs; what was restored is told in the words of the drift, and is read back
// afterwards: what still differs is a problem, not a restoration.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCniError, CniError, ErrorCode } from '../../../lib/cni/errors.js';
import { writeFileAtomically } from '../../../lib/networkd/files.js';
import { renderVxlanFiles, type ZoneVxlan } from '../../../lib/networkd/vxlan-files.js';
import type { ZoneConfig } from '../../../lib/zone/plan.js';
import { ensureVxlanPort, zoneMtu } from '../../../lib/zone/vxlan.js';
import type { Links, ZoneWorld } from '../../../lib/zone/world.js';
import {
  identityText,
  localTrafficDrift,
  readVxlanPort,
  sameIdentity,
  strayFloods,
  unfloodedPeers,
  type VxlanPortNow,
  vxlanPortDrift,
} from './vxlan-drift.js';

type MultiHostZone = ZoneConfig & { vxlan: ZoneVxlan };

/** What repair restores, in the words `zonectl repair` prints after "restored"; [] when all is in place. */
export function restorations(config: MultiHostZone, port: VxlanPortNow, keptLocal: readonly string[]): string[] {
  const { vxlan } = config;
  const what: string[] = [];
  if (!port.present || port.kind !== 'vxlan' || !sameIdentity(port, vxlan)) {
    const peers = vxlan.peers.length > 0 ? `, flooding to ${vxlan.peers.join(', ')}` : '';
    what.push(`VXLAN port ${port.name} (${identityText(vxlan)}${peers})`);
  } else {
    if (!port.onBridge || !port.up) what.push(`VXLAN port ${port.name} up on ${config.bridge}`);
    const added = unfloodedPeers(vxlan, port);
    const removed = strayFloods(vxlan, port);
    const changes = [
      ...(added.length > 0 ? [`added ${added.join(', ')}`] : []),
      ...(removed.length > 0 ? [`removed ${removed.join(', ')} (no peer any more)`] : []),
    ];
    if (changes.length > 0) what.push(`VXLAN peers as configured: ${changes.join('; ')}`);
  }
  if (keptLocal.length > 0) what.push('table bridge cni_zones (DHCPv4 and router discovery kept on this host)');
  return what;
}

/** The port's networkd files as the configuration says now, written when they differ. */
async function writeVxlanFiles(config: MultiHostZone, mtu: number | undefined): Promise<void> {
  for (const file of renderVxlanFiles(config.zone, config.bridge, config.vxlan, mtu)) {
    const now = await readFile(join(config.networkDir, file.name), 'utf8').catch(() => undefined);
    if (now !== file.content) await writeFileAtomically(config.networkDir, file.name, file.content);
  }
}

/** The ADD's ensureVxlanPort, under the zone lock, with the MTU an ADD gives the port. */
async function bringInLine(world: ZoneWorld, rt: Links, config: MultiHostZone): Promise<void> {
  const backend = await world.backend(config.backend);
  const mtu = await zoneMtu(rt, config);
  await world.withZoneLock(async () => {
    const bridge = await rt.getLink(config.bridge);
    if (bridge?.kind !== 'bridge') throw new CniError(ErrorCode.BridgeConflict, `${config.bridge} vanished during the repair`);
    if (backend === 'networkd') await writeVxlanFiles(config, mtu);
    await ensureVxlanPort(world, rt, config, bridge, backend, mtu);
  });
}

/** What still differs, read back. */
async function driftNow(world: ZoneWorld, rt: Links, config: MultiHostZone): Promise<string[]> {
  const bridge = await rt.getLink(config.bridge);
  const port = await readVxlanPort(rt, config.zone, bridge?.index);
  return [...vxlanPortDrift(config.vxlan, port, config.bridge), ...(await localTrafficDrift(world.nft('bridge')))];
}

export interface VxlanRepair {
  /** Whether the zone's bridge is on this host (else nothing was looked at). */
  present: boolean;
  restored: string[];
  problems: string[];
}

function messageOf(e: unknown): string {
  const error = asCniError(e);
  return error.details ? `${error.message}: ${error.details}` : error.message;
}

/** Bring the zone's VXLAN port and our bridge table in line, when the zone's bridge is on this host. */
export async function repairVxlan(world: ZoneWorld, config: MultiHostZone): Promise<VxlanRepair> {
  const outcome: VxlanRepair = { present: false, restored: [], problems: [] };
  const rt = await world.hostLinks();
  try {
    const bridge = await rt.getLink(config.bridge);
    if (bridge?.kind !== 'bridge') return outcome;
    outcome.present = true;
    const port = await readVxlanPort(rt, config.zone, bridge.index);
    const what = restorations(config, port, await localTrafficDrift(world.nft('bridge')));
    if (what.length === 0) return outcome;
    try {
      await bringInLine(world, rt, config);
    } catch (e) {
      outcome.problems.push(...what.map((w) => `${w}: ${messageOf(e)}`));
      return outcome;
    }
    const left = await driftNow(world, rt, config);
    if (left.length === 0) outcome.restored.push(...what);
    else outcome.problems.push(`vxlan: still ${left.join(', ')} after ${what.join('; ')}`);
    return outcome;
  } finally {
    rt.close();
  }
}
