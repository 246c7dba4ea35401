// ADD: the [::1] ports are taken (proxies.ts); one transaction declares the fixed ruleset,
// claims every host port with `create` (a port someone else holds fails it all, nothing
// changes) and writes the masquerade sets; then the [::1] proxies start.
// Only when it fails with "exists" is the table listed, once: to name the holder in a
// code-130 error, or to replace what an earlier ADD of the same attachment left.
import { CniError, ErrorCode } from '../cni/errors.js';
import { isExists } from '../nft/errors.js';
import type { Listing } from '../nft/listing.js';
import type { Element } from '../nft/objects.js';
import type { NftTable } from '../nft/table.js';
import type { Transaction } from '../nft/transaction.js';
import { forgetUdpFlows } from './flows.js';
import { routeInterface } from './localnet.js';
import { openLoopback } from './loopback.js';
import { describeTag, type Owner, ownerTag } from './owner.js';
import { claimLabel, elementId, indexById, planElements, planOf, type PortsPlan } from './plan.js';
import { declarePorts } from './ruleset.js';
import { worldOf, type PortsDeps, type PortsRequest, type World } from './request.js';
import { pendingRecords, type TakenPorts } from './proxies.js';
import { type ProxyRecord, readState, removeState, writeState } from './state.js';
import { containerTargets } from './targets.js';
import { spendReserve } from '../system/budget.js';

/**
 * The fixed ruleset, then `removals` (what an earlier ADD of this attachment left), then the
 * claims, the shared hairpin pairs and the marks (destroyed and added again: fresh, with our tag).
 */
function publishTransaction(table: NftTable, plan: PortsPlan, removals: (tx: Transaction) => unknown): Transaction {
  const tx = declarePorts(table.transaction());
  removals(tx);
  if (plan.claims.length > 0) tx.create(plan.claims);
  if (plan.shared.length > 0) tx.add(plan.shared);
  if (plan.marks.length > 0) tx.destroy(plan.marks).add(plan.marks);
  return tx;
}

/** From the record: destroyed, as they may be gone already. */
function removeRecorded(earlier: readonly Element[]) {
  return (tx: Transaction) => earlier.length > 0 && tx.destroy(earlier);
}

/** From a listing: exactly the elements carrying our tag. */
function removeListed(ours: readonly Element[]) {
  return (tx: Transaction) => ours.length > 0 && tx.delete(ours);
}

function conflictError(conflicts: readonly { claim: Element; holder: Element }[]): CniError {
  const lines = conflicts.map(
    ({ claim, holder }) => `host port ${claimLabel(claim)} is already published by ${describeTag(holder.comment)}`,
  );
  return new CniError(
    ErrorCode.PortConflict,
    lines.join('; '),
    'nothing was changed; choose another hostPort, or remove the container that holds it',
  );
}

function ownElements(listing: Listing | undefined, tag: string): Element[] {
  return (listing?.elements ?? []).filter((element) => element.comment === tag);
}

const ATTEMPTS = 3;

/**
 * The transaction failed with "exists": list once, and either name the holders (code 130) or,
 * when every key is ours (an ADD repeated without DEL, no record left), write it again.
 * A claim can race us between listing and writing: then look again, a few times.
 */
async function resolveExists(table: NftTable, plan: PortsPlan, tag: string, cause: unknown): Promise<void> {
  let failure = cause;
  for (let attempt = 0; attempt < ATTEMPTS && isExists(failure); attempt++) {
    const listing = await table.list();
    const listed = indexById(listing?.elements ?? []);
    const conflicts = plan.claims.flatMap((claim) => {
      const holder = listed.get(elementId(claim));
      return holder !== undefined && holder.comment !== tag ? [{ claim, holder }] : [];
    });
    if (conflicts.length > 0) throw conflictError(conflicts);
    try {
      await table.apply(publishTransaction(table, plan, removeListed(ownElements(listing, tag))));
      return;
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}

async function enableLocalhost(world: World, plan: PortsPlan, request: PortsRequest): Promise<void> {
  const v4 = containerTargets(request.result)[4];
  if (!plan.loopback || v4 === undefined) return;
  const ifname = routeInterface(v4.address, world.routeTable());
  if (ifname !== undefined) await openLoopback(world, request.config.stateDir, ifname);
}

/** Both lists, each element once (the later list's version of a key wins). */
function union(earlier: readonly Element[], later: readonly Element[]): Element[] {
  return [...new Map([...earlier, ...later].map((element) => [elementId(element), element])).values()];
}

/** After a failed ADD the record says what is still there: the earlier ADD's elements, or nothing. */
function restoreRecord(dir: string, owner: Owner, earlier: readonly Element[]): void {
  try {
    if (earlier.length > 0) writeState(dir, { owner, elements: [...earlier] });
    else removeState(dir, owner);
  } catch {
    // the wider record stays: it names more than is there, which DEL tolerates
  }
}

async function applyPlan(table: NftTable, plan: PortsPlan, tag: string, earlier: readonly Element[]): Promise<void> {
  try {
    await table.apply(publishTransaction(table, plan, removeRecorded(earlier)));
  } catch (e) {
    if (!isExists(e)) throw e;
    await resolveExists(table, plan, tag, e);
  }
}

/** Undo a published plan after a later step failed; the record goes only once the elements and proxies have. */
async function takeBack(
  world: World,
  dir: string,
  owner: Owner,
  written: readonly Element[],
  proxies: readonly ProxyRecord[],
): Promise<void> {
  spendReserve();
  try {
    await world.proxies.stop(proxies, dir, owner);
    if (written.length > 0) await world.table.apply(world.table.transaction().destroy(written));
    removeState(dir, owner);
  } catch {
    // the record stays, and with it what a DEL needs to finish the job
  }
}

/**
 * Publish the request's mappings; nothing at all happens (no nft process) when there are none.
 * The [::1] ports are taken first (a port held elsewhere fails the ADD before any change).
 * Flows to its UDP host ports are forgotten last, once the new DNAT is in place.
 */
export async function publishPorts(request: PortsRequest, deps?: PortsDeps): Promise<void> {
  const plan = planOf(request);
  if (plan.claims.length === 0 && plan.proxies.length === 0) return;
  const { owner, config } = request;
  const world = worldOf(deps);
  const recorded = readState(config.stateDir, owner);
  // An ADD repeated without DEL: the earlier proxies hold the ports this one takes.
  if (recorded?.proxies !== undefined) await world.proxies.stop(recorded.proxies, config.stateDir, owner);
  const taken = await world.proxies.take(plan.proxies, config.stateDir, owner);
  try {
    await publishTaken(world, request, plan, recorded?.elements ?? [], taken);
  } finally {
    world.proxies.release(taken);
  }
}

/**
 * The record is written first, holding the earlier ADD's elements and the new ones together and
 * the proxies about to start, so a kill at any later point leaves a record that covers whatever
 * nftables holds and whatever runs.
 */
async function publishTaken(world: World, request: PortsRequest, plan: PortsPlan, earlier: readonly Element[], taken: TakenPorts) {
  const { owner, config } = request;
  const written = planElements(plan);
  writeState(config.stateDir, { owner, elements: union(earlier, written), proxies: pendingRecords(taken, owner) });
  try {
    if (plan.claims.length > 0 || earlier.length > 0) await applyPlan(world.table, plan, ownerTag(owner), earlier);
  } catch (e) {
    restoreRecord(config.stateDir, owner, earlier);
    throw e;
  }
  let proxies: ProxyRecord[] = [];
  try {
    proxies = await world.proxies.start(taken, config.stateDir, owner);
    writeState(config.stateDir, { owner, elements: written, proxies, shared: plan.shared });
    await enableLocalhost(world, plan, request);
  } catch (e) {
    await takeBack(world, config.stateDir, owner, written, proxies);
    throw e;
  }
  forgetUdpFlows(world.flows, plan.claims, world.warn);
}
