// DEL and GC: take an attachment's elements out again, never anyone else's. DEL reads the
// attachment's record and destroys exactly those elements in one transaction, tolerant of
// absence (Transaction.destroy: added, then deleted); without a record, or when the
// record no longer matches the table, it lists the table and removes what carries its tag.
// What the request's config asks for plays no part: a DEL may come with other or no mappings.
// Then the conntrack entries of UDP flows to the removed host ports go (flows.ts), and
// route_localnet where no localhost mapping needs it any more (loopback.ts); the record goes
// last, so a DEL that failed before is repeated whole.
// The [::1] proxies the record names stop first, so the port is refused once DEL returns.
// The fixed ruleset stays: other attachments use it, and it costs nothing when empty.
import { type Attachment, isListedAttachment } from '../cni/types.js';
import { isExists, isNotFound } from '../nft/errors.js';
import type { Element } from '../nft/objects.js';
import type { NftTable } from '../nft/table.js';
import type { PortsConfig } from './config.js';
import { forgetUdpFlows } from './flows.js';
import { releaseLoopback } from './loopback.js';
import { networkPart, ownerTag, parseOwnerTag, validTags } from './owner.js';
import { PORTS_SETS } from './ruleset.js';
import { worldOf, type PortsDeps, type PortsRequest } from './request.js';
import { collectStateTemps, listStates, readState, removeState } from './state.js';

/** Remove every element of ours whose comment `matches`; what was removed. */
async function removeTagged(table: NftTable, matches: (comment: string | undefined) => boolean): Promise<Element[]> {
  // A concurrent DEL or GC may remove some of them first: list again and retry once.
  for (let attempt = 0; ; attempt++) {
    const listing = await table.list();
    const doomed = (listing?.elements ?? []).filter((element) => PORTS_SETS.has(element.set) && matches(element.comment));
    if (doomed.length === 0) return [];
    try {
      await table.apply(table.transaction().delete(doomed));
      return doomed;
    } catch (e) {
      if (!isNotFound(e) || attempt > 0) throw e;
    }
  }
}

/** The recorded elements in one tolerant transaction; by the tag when the record no longer matches the table. */
async function removeRecorded(table: NftTable, recorded: readonly Element[], tag: string): Promise<Element[]> {
  try {
    await table.apply(table.transaction().destroy(recorded));
    return [...recorded];
  } catch (e) {
    // "exists": a key now maps elsewhere (not ours any more); "not found": the table or a map is gone.
    if (!isExists(e) && !isNotFound(e)) throw e;
  }
  return removeTagged(table, (comment) => comment === tag);
}

/** Remove the attachment's mappings; succeeds when they are already gone. */
export async function unpublishPorts(request: PortsRequest, deps?: PortsDeps): Promise<void> {
  const { owner, config } = request;
  const world = worldOf(deps);
  const tag = ownerTag(owner);
  const state = readState(config.stateDir, owner);
  if (state === undefined) await world.proxies.stopMarked(config.stateDir, owner);
  else if (state.proxies !== undefined) await world.proxies.stop(state.proxies, config.stateDir, owner);
  const removed =
    state === undefined || state.elements.length === 0
      ? state?.proxies !== undefined
        ? []
        : await removeTagged(world.table, (comment) => comment === tag)
      : await removeRecorded(world.table, state.elements, tag);
  forgetUdpFlows(world.flows, removed, world.warn);
  await releaseLoopback(world, config.stateDir, removed);
  removeState(config.stateDir, owner);
  collectStateTemps(config.stateDir, owner);
}

/**
 * GC: remove the mappings of this network's attachments that are not in `valid`, and their
 * records. Without a list from the runtime nothing is removed (everything would look stale).
 */
export async function collectPorts(
  network: string,
  valid: readonly Attachment[] | undefined,
  config: PortsConfig,
  deps?: PortsDeps,
): Promise<void> {
  if (valid === undefined) return;
  const keep = validTags(network, valid);
  const ourNetwork = networkPart(network);
  const world = worldOf(deps);
  const removed = await removeTagged(
    world.table,
    (comment) => parseOwnerTag(comment)?.network === ourNetwork && !keep.has(comment as string),
  );
  forgetUdpFlows(world.flows, removed, world.warn);
  await releaseLoopback(world, config.stateDir, removed);
  collectStateTemps(config.stateDir);
  for (const state of listStates(config.stateDir)) {
    if (state.owner.network !== network || isListedAttachment(valid, state.owner)) continue;
    if (state.proxies !== undefined) await world.proxies.stop(state.proxies, config.stateDir, state.owner);
    removeState(config.stateDir, state.owner);
  }
  await world.proxies.stopOrphans(config.stateDir);
}
