// `zonectl repair`: after something flushed the ruleset (an nftables.service restart, a
// firewalld reload, a provisioning tool) or killed a proxy, put every recorded attachment's
// publishing back as its ADD left it: the fixed ruleset, the recorded elements that are gone
// (a key someone else holds now is reported, never taken), route_localnet where a localhost
// mapping needs it, and a proxy behind each recorded [::1] port that has none. Only our table
// and our records are read or written; it is what CHECK would ask for, from the same records.
import type { Element } from '../nft/objects.js';
import type { Listing } from '../nft/listing.js';
import { interfacesInUse, openLoopback } from './loopback.js';
import { type Owner, ownerTag } from './owner.js';
import { describeElement, elementId, indexById, sameValue } from './plan.js';
import { declarePorts, SHARED_TAG } from './ruleset.js';
import { proxyLabel } from './proxies.js';
import { worldOf, type PortsDeps, type World } from './request.js';
import { listStates, type PortsState, type ProxyRecord, writeState } from './state.js';

/** What repair did, and what it could not do. */
interface Findings {
  /** `tcp/8080 (IPv4) → 10.89.0.5:80`, `tcp/[::1]:8080 → 10.89.0.5:80`, ... */
  restored: string[];
  problems: string[];
}

/** What repair did for one attachment. */
export interface AttachmentRepair extends Findings {
  owner: Owner;
}

interface ElementRepairs {
  missing: Element[];
  reports: Map<string, Findings>;
}

/** The recorded elements that are gone, and the ones held by someone else (reported, kept). */
function missingElements(states: readonly PortsState[], listing: Listing | undefined): ElementRepairs {
  const listed = indexById(listing?.elements ?? []);
  const missing = new Map<string, Element>();
  const reports = new Map<string, Findings>();
  for (const state of states) {
    const tag = ownerTag(state.owner);
    const report: Findings = { restored: [], problems: [] };
    reports.set(tag, report);
    for (const element of [...state.elements, ...(state.shared ?? [])]) {
      const have = listed.get(elementId(element));
      if (have === undefined) {
        missing.set(elementId(element), element);
        if (element.comment !== SHARED_TAG) report.restored.push(describeElement(element));
      } else if (element.comment !== SHARED_TAG && (have.comment !== tag || !sameValue(have, element))) {
        report.problems.push(`${describeElement(element)} is held by another entry now (${have.comment ?? 'no owner'}): left alone`);
      }
    }
  }
  return { missing: [...missing.values()], reports };
}

async function repairTable(world: World, states: readonly PortsState[]): Promise<ElementRepairs> {
  const listing = await world.table.list();
  const repairs = missingElements(states, listing);
  const tx = declarePorts(world.table.transaction());
  if (repairs.missing.length > 0) tx.add(repairs.missing);
  await world.table.apply(tx);
  return repairs;
}

async function repairLoopback(world: World, stateDir: string, states: readonly PortsState[]): Promise<void> {
  const elements = states.flatMap((state) => state.elements);
  const listing = { chains: [], sets: [], maps: [], rules: [], elements };
  for (const ifname of interfacesInUse(listing, world.routeTable())) await openLoopback(world, stateDir, ifname);
}

/** Start a proxy again behind each recorded [::1] port that has none; the record gets the new ones. */
async function repairProxies(world: World, stateDir: string, state: PortsState, report: Findings): Promise<void> {
  const proxies = state.proxies ?? [];
  const dead: ProxyRecord[] = [];
  for (const record of proxies) if (!(await world.proxies.runs(record, stateDir, state.owner))) dead.push(record);
  if (dead.length === 0) return;
  const kept = proxies.filter((record) => !dead.includes(record));
  for (const record of dead) {
    try {
      const taken = await world.proxies.take([{ port: record.port, target: record.target }], stateDir, state.owner);
      try {
        kept.push(...(await world.proxies.start(taken, stateDir, state.owner)));
        report.restored.push(proxyLabel(record));
      } finally {
        world.proxies.release(taken);
      }
    } catch (e) {
      kept.push(record);
      report.problems.push(`${proxyLabel(record)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  writeState(stateDir, { ...state, proxies: kept });
}

/**
 * Repair the attachments recorded in `stateDir` that `include` names (default: all); one
 * report per attachment. The others' records are left as they are: a container that is gone
 * is GC's to clean up, not repair's to bring back.
 */
export async function repairPorts(
  stateDir: string,
  deps?: PortsDeps,
  include: (owner: Owner) => boolean = () => true,
): Promise<AttachmentRepair[]> {
  const world = worldOf(deps);
  const states = listStates(stateDir).filter((state) => include(state.owner));
  if (states.length === 0) return [];
  const { reports } = states.some((s) => s.elements.length > 0)
    ? await repairTable(world, states)
    : { reports: new Map<string, Findings>() };
  await repairLoopback(world, stateDir, states);
  const out: AttachmentRepair[] = [];
  for (const state of states) {
    const report = reports.get(ownerTag(state.owner)) ?? { restored: [], problems: [] };
    await repairProxies(world, stateDir, state, report);
    out.push({ owner: state.owner, ...report });
  }
  return out;
}
