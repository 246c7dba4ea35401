// Isolation of zones from each other, IPv4 and IPv6 alike: one filter chain on the forward hook
// drops the first packet of a connection routed from one zone bridge (`vz-*`) to another,
// unless the pair is allowed or the flow was DNATed (a published port reached through the
// host). Replies belong to established flows and pass; traffic to and from the host, the
// outside world and within one bridge never matches. nspawn's `--network-zone` machines sit on
// the same bridges, so they are isolated alike.
//
// nft cannot compare two interface names with each other (`iifname != oifname` is a syntax
// error in 1.0.6), and with br_netfilter a frame bridged inside one zone reaches this hook with
// the bridge as both its input and output interface. So the set `zone_allow` says both what
// is allowed and which zones are ours:
//   "vz-a" . "vz-a"   zone a is isolated (its own traffic, iif = oif, always passes)
//   "vz-a" . "vz-b"   zone a allows zone b, both ways (the rule looks up both orders)
// Every element whose key starts with a zone's own bridge is that zone's: it is the one zone
// that can list it, so two zones listing each other never share an element, and an ADD of a
// zone replaces exactly its own pairs (found by key; the comment `zone:<zone>` says the same to
// a reader). A bridge of no zone of ours (nspawn's own zones) is left alone both ways among
// such bridges.
//
// Chains are what an nft transaction pays for (a few milliseconds of the kernel's commit each,
// set elements cost next to nothing), so a caller that knows the chain is in place leaves it be.
import type { Listing } from './listing.js';
import { zoneTag } from './masquerade.js';
import type { Chain, Element, NftObject, NftSet, Rule } from './objects.js';
import type { ChainContents, SetContents } from './table.js';
import { quoteIfname } from './tokens.js';
import type { Transaction } from './transaction.js';

export const ISOLATION_CHAIN = 'zone_isolation';
export const ALLOW_SET = 'zone_allow';

/** Every zone bridge is `vz-<zone>` (systemd-nspawn's naming): the rule matches them by prefix. */
const ZONE_BRIDGES = '"vz-*"';

export interface ZoneIsolation {
  zone: string;
  /** The zone's bridge (`vz-<zone>`). */
  bridge: string;
  /** The bridges of the zones it allows, both ways. */
  peers: readonly string[];
}

/** What our table holds of isolation now, as `NftTable.listChain` / `listSet` read it. */
export interface IsolationState {
  chain: ChainContents | undefined;
  set: SetContents | undefined;
}

const chain: Chain = { kind: 'chain', name: ISOLATION_CHAIN, type: 'filter', hook: 'forward', priority: 'filter', policy: 'accept' };
const allowSet: NftSet = { kind: 'set', name: ALLOW_SET, type: 'ifname . ifname' };

/** Table, set and chain: declared whenever the chain is not in place (`add` is idempotent for them). */
function isolationObjects(): NftObject[] {
  return [{ kind: 'table' }, allowSet, chain];
}

// A new flow between two zone bridges, not DNATed (`ct status & dnat == 0`: `ct status != dnat`
// would compare the whole status word), whose pair is allowed in neither order.
const unallowed =
  `iifname ${ZONE_BRIDGES} oifname ${ZONE_BRIDGES} ct state new ct status & dnat == 0 ` +
  `iifname . oifname != @${ALLOW_SET} oifname . iifname != @${ALLOW_SET}`;

/**
 * The chain's fixed rules; they never mention a zone. One per end that is a zone of ours (nft
 * rules have no "or"). The comments are how a listing, which gives no rule text, tells ours.
 */
export function isolationRules(): Rule[] {
  return [
    {
      kind: 'rule',
      chain: ISOLATION_CHAIN,
      rule: `${unallowed} iifname . iifname @${ALLOW_SET} drop`,
      comment: 'isolation: out of a zone',
    },
    { kind: 'rule', chain: ISOLATION_CHAIN, rule: `${unallowed} oifname . oifname @${ALLOW_SET} drop`, comment: 'isolation: into a zone' },
  ];
}

/** The elements that make `spec.zone` isolated with its allowed peers: its own bridge first in each key. */
export function zoneAllowElements(spec: ZoneIsolation): Element[] {
  const comment = zoneTag(spec.zone);
  const own = quoteIfname(spec.bridge);
  const peers = [spec.bridge, ...spec.peers.filter((peer) => peer !== spec.bridge)];
  return [...new Set(peers)].map((peer): Element => ({ kind: 'element', set: ALLOW_SET, key: [own, quoteIfname(peer)], comment }));
}

/** The elements of the zone of `bridge` among `elements` (a listing of `zone_allow`). */
export function ownAllowElements(elements: readonly Element[], bridge: string): Element[] {
  const own = quoteIfname(bridge);
  return elements.filter((element) => element.set === ALLOW_SET && element.key.length === 2 && element.key[0] === own);
}

/** `"vz-b"` → `vz-b` */
function bridgeOfKey(literal: string): string {
  return literal.replace(/^"(.*)"$/, '$1');
}

/** The bridges of the other zones whose own pairs allow the zone of `bridge`. */
export function bridgesAllowing(elements: readonly Element[], bridge: string): string[] {
  const own = quoteIfname(bridge);
  return elements
    .filter((element) => element.set === ALLOW_SET && element.key.length === 2 && element.key[1] === own && element.key[0] !== own)
    .map((element) => bridgeOfKey(element.key[0] as string));
}

/** The isolation part of a listing of our whole table (undefined: the table is not there). */
export function isolationStateOf(listing: Listing | undefined): IsolationState {
  const chain = listing?.chains.find((c) => c.name === ISOLATION_CHAIN);
  const set = listing?.sets.find((s) => s.name === ALLOW_SET);
  return {
    chain: chain && listing && { chain, rules: listing.rules.filter((rule) => rule.chain === ISOLATION_CHAIN) },
    set: set && listing && { set, elements: listing.elements.filter((element) => element.set === ALLOW_SET) },
  };
}

const sameKey = (a: Element, b: Element) => a.key.length === b.key.length && a.key.every((part, i) => part === b.key[i]);
const same = (a: Element, b: Element) => sameKey(a, b) && a.comment === b.comment;

/** Whether the listed chain is ours as `isolationRules` writes it, and the set it looks in exists. */
export function isolationInPlace(state: IsolationState): boolean {
  return isolationProblems(state).length === 0;
}

/** What is wrong with the fixed part: chain, its rules, the set; empty when in place. */
function isolationProblems(state: IsolationState): string[] {
  const problems: string[] = [];
  const listed = state.chain;
  if (listed === undefined) problems.push(`chain ${ISOLATION_CHAIN} missing`);
  else {
    const { type, hook, priority, policy } = listed.chain;
    if (type !== 'filter' || hook !== 'forward' || priority !== 0 || policy !== 'accept') {
      problems.push(`chain ${ISOLATION_CHAIN} is not a filter chain on the forward hook`);
    }
    const want = isolationRules().map((rule) => rule.comment);
    const have = listed.rules.map((rule) => rule.comment);
    if (have.length !== want.length || have.some((comment, i) => comment !== want[i])) {
      problems.push(`chain ${ISOLATION_CHAIN} has ${have.length} rules, not its ${want.length}`);
    }
  }
  if (state.set === undefined) problems.push(`set ${ALLOW_SET} missing`);
  else if (state.set.set.type !== allowSet.type) problems.push(`set ${ALLOW_SET} is of type ${state.set.set.type}`);
  return problems;
}

/**
 * Make `spec.zone` isolated with exactly its allowed peers. With `state` (the chain and set as
 * listed now, under the zone lock), the chain is left alone when it is in place, the zone's
 * outdated elements are deleted and only missing ones added; without it, everything is
 * declared and the chain's rules rewritten (flush + add: running it again leaves one copy).
 */
export function addZoneIsolation(tx: Transaction, spec: ZoneIsolation, state?: IsolationState): Transaction {
  const wanted = zoneAllowElements(spec);
  if (state === undefined || !isolationInPlace(state)) {
    tx.add(...isolationObjects());
    tx.flush({ kind: 'chain', name: ISOLATION_CHAIN });
    tx.add(...isolationRules());
  }
  const own = ownAllowElements(state?.set?.elements ?? [], spec.bridge);
  const outdated = own.filter((element) => !wanted.some((w) => same(w, element)));
  const missing = wanted.filter((w) => !own.some((element) => same(w, element)));
  if (outdated.length > 0) tx.delete(...outdated);
  if (missing.length > 0) tx.add(...missing);
  return tx;
}

/**
 * Put the zone of `bridge` back to `elements` (its own, as listed earlier): delete what it has
 * now that is not among them, add what is missing. The chain and set stay.
 */
export function restoreZoneIsolation(tx: Transaction, bridge: string, now: readonly Element[], elements: readonly Element[]): Transaction {
  const current = ownAllowElements(now, bridge);
  const before = ownAllowElements(elements, bridge);
  const doomed = current.filter((element) => !before.some((b) => same(b, element)));
  const back = before.filter((b) => !current.some((element) => same(b, element)));
  if (doomed.length > 0) tx.delete(...doomed);
  if (back.length > 0) tx.add(...back);
  return tx;
}

/** Delete exactly the zone's elements found in `elements`; the chain and set stay for other zones. */
export function removeZoneIsolation(tx: Transaction, bridge: string, elements: readonly Element[]): Transaction {
  const found = ownAllowElements(elements, bridge);
  return found.length > 0 ? tx.delete(...found) : tx;
}

/**
 * How our table differs from what `spec` asks: the fixed part, and the zone's pairs that are
 * missing or that its configuration does not list; empty when all is in place.
 */
export function isolationDrift(spec: ZoneIsolation, state: IsolationState): string[] {
  const problems = isolationProblems(state);
  const own = ownAllowElements(state.set?.elements ?? [], spec.bridge);
  const wanted = zoneAllowElements(spec);
  const label = (element: Element) => `${ALLOW_SET} ${element.key.map(bridgeOfKey).join(' . ')}`;
  const missing = wanted.filter((w) => !own.some((element) => sameKey(w, element))).map((w) => `${label(w)} missing`);
  const extra = own.filter((element) => !wanted.some((w) => sameKey(w, element))).map((e) => `${label(e)} not in allowZones`);
  return [...problems, ...missing, ...extra];
}
