// ADD: one transaction declares the fixed ruleset, claims every host port with `create` (a
// port someone else holds fails it all, nothing changes) and writes the masquerade sets.
// Only when it fails with "exists" is the table listed, once: to name the holder in a
// code-130 error, or to replace what an earlier ADD of the same attachment left.
import { CniError } from '../cni/errors.js';
import { isExists } from '../nft/errors.js';
import type { Listing } from '../nft/listing.js';
import type { Element } from '../nft/objects.js';
import type { NftTable } from '../nft/table.js';
import type { Transaction } from '../nft/transaction.js';
import { PortsErrorCode } from './errors.js';
import { enableRouteLocalnet, routeInterface } from './localnet.js';
import { describeTag, ownerTag } from './owner.js';
import { claimLabel, elementId, indexById, planElements, planOf, type PortsPlan } from './plan.js';
import { declarePorts } from './ruleset.js';
import { worldOf, type PortsDeps, type PortsRequest, type World } from './request.js';
import { readState, writeState } from './state.js';
import { containerTargets } from './targets.js';

/**
 * The fixed ruleset, then `removals` (what an earlier ADD of this attachment left), then the
 * claims, the shared hairpin pairs and the marks (add, delete, add: fresh, with our tag).
 */
function publishTransaction(table: NftTable, plan: PortsPlan, removals: (tx: Transaction) => unknown): Transaction {
  const tx = declarePorts(table.transaction());
  removals(tx);
  tx.create(plan.claims);
  if (plan.shared.length > 0) tx.add(plan.shared);
  if (plan.marks.length > 0) tx.add(plan.marks).delete(plan.marks).add(plan.marks);
  return tx;
}

/** From the record: removed tolerantly (add, then delete), as they may be gone already. */
function removeRecorded(earlier: readonly Element[]) {
  return (tx: Transaction) => earlier.length > 0 && tx.add(earlier).delete(earlier);
}

/** From a listing: exactly the elements carrying our tag. */
function removeListed(ours: readonly Element[]) {
  return (tx: Transaction) => ours.length > 0 && tx.delete(ours);
}

function conflictError(conflicts: readonly { claim: Element; holder: Element }[]): CniError {
  const lines = conflicts.map(({ claim, holder }) => `host port ${claimLabel(claim)} is already published by ${describeTag(holder.comment)}`);
  return new CniError(PortsErrorCode.PortConflict, lines.join('; '), 'nothing was changed; choose another hostPort, or remove the container that holds it');
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
  if (ifname !== undefined) await enableRouteLocalnet(ifname, world.sysctl);
}

/** Publish the request's mappings; nothing at all happens (no nft process) when there are none. */
export async function publishPorts(request: PortsRequest, deps?: PortsDeps): Promise<void> {
  const plan = planOf(request);
  if (plan.claims.length === 0) return;
  const world = worldOf(deps);
  const { owner, config } = request;
  const tag = ownerTag(owner);
  const earlier = readState(config.stateDir, owner)?.elements ?? [];
  try {
    await world.table.apply(publishTransaction(world.table, plan, removeRecorded(earlier)));
  } catch (e) {
    if (!isExists(e)) throw e;
    await resolveExists(world.table, plan, tag, e);
  }
  try {
    writeState(config.stateDir, { owner, elements: planElements(plan) });
  } catch (e) {
    // Without its record a DEL would have to list the table: take the elements back now.
    const written = planElements(plan);
    await world.table.apply(world.table.transaction().add(written).delete(written)).catch(() => undefined);
    throw e;
  }
  await enableLocalhost(world, plan, request);
}
