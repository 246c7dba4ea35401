// Drift: what our records say was published, held against what the host has now. Read-only:
// one listing of our table, and a look at each recorded [::1] proxy. `zonectl status` shows it
// per attachment (and per zone, for masquerade and isolation); `zonectl repair` puts it back.
import { isolationDrift, isolationStateOf } from '../../../lib/nft/isolation.js';
import { type ZoneMasquerade, zoneMasqueradeElements, masqueradeRules } from '../../../lib/nft/masquerade.js';
import type { Listing } from '../../../lib/nft/listing.js';
import type { Element } from '../../../lib/nft/objects.js';
import { ourTable, TABLE_NAME } from '../../../lib/nft/our-table.js';
import { ownerTag, describeTag } from '../../../lib/ports/owner.js';
import { claimLabel, elementId, indexById } from '../../../lib/ports/plan.js';
import { systemProxies, type ProxyAccess } from '../../../lib/ports/proxies.js';
import { CHAINS, portsRules, SHARED_TAG } from '../../../lib/ports/ruleset.js';
import type { PortsState } from '../../../lib/ports/state.js';
import { isolationSpec } from '../../../lib/zone/isolation.js';
import type { ZoneConfig } from '../../../lib/zone/plan.js';

export const REPAIR_FIX = 'zonectl repair';

/** Our table as it is now, read once and shared; undefined when it does not exist. */
export type TableNow = () => Promise<Listing | undefined>;

export function tableNow(list: () => Promise<Listing | undefined> = () => ourTable().list()): TableNow {
  let listing: Promise<Listing | undefined> | undefined;
  return () => {
    listing ??= list();
    return listing;
  };
}

/** `tcp/8080 (IPv4)` for a claim; `ports_targets_v4 10.89.0.5` for a set entry. */
function shortLabel(element: Element): string {
  return element.value !== undefined ? claimLabel(element) : `${element.set} ${element.key.join(' . ')}`;
}

function chainProblems(listing: Listing, chains: readonly string[], rules: readonly { chain: string }[]): string[] {
  return chains.flatMap((chain) => {
    if (!listing.chains.some((c) => c.name === chain)) return [`chain ${chain} missing`];
    const want = rules.filter((rule) => rule.chain === chain).length;
    const have = listing.rules.filter((rule) => rule.chain === chain).length;
    return have === want ? [] : [`chain ${chain} has ${have} rules, not ${want}`];
  });
}

/** The recorded elements that are gone or held by another owner, in the words of `zonectl status`. */
function elementDrift(expected: readonly Element[], listing: Listing, tag: string): string[] {
  const listed = indexById(listing.elements);
  const missing: string[] = [];
  const held: string[] = [];
  for (const want of expected) {
    const have = listed.get(elementId(want));
    if (have === undefined) missing.push(shortLabel(want));
    else if (want.comment !== SHARED_TAG && have.comment !== tag) held.push(`${shortLabel(want)} held by ${describeTag(have.comment)}`);
  }
  return [...missing.map((label) => `${label} missing`), ...held];
}

/** What an attachment's record says it published and the host no longer has; empty when none. */
export async function portsDrift(
  state: PortsState,
  stateDir: string,
  table: TableNow,
  proxies: Pick<ProxyAccess, 'runs'> = systemProxies,
): Promise<string[]> {
  const drift: string[] = [];
  const expected = [...state.elements, ...(state.shared ?? [])];
  if (expected.length > 0) {
    const listing = await table();
    if (listing === undefined) {
      drift.push(`table inet ${TABLE_NAME} gone`, ...expected.filter((e) => e.value).map((e) => `${claimLabel(e)} missing`));
    } else {
      drift.push(...chainProblems(listing, Object.values(CHAINS), portsRules()));
      drift.push(...elementDrift(expected, listing, ownerTag(state.owner)));
    }
  }
  for (const record of state.proxies ?? []) {
    if (!(await proxies.runs(record, stateDir, state.owner))) drift.push(`[::1]:${record.port} proxy not running`);
  }
  return drift;
}

/** What the zone's masquerade lacks now; empty when it is all there. */
export async function masqueradeDrift(spec: ZoneMasquerade, table: TableNow): Promise<string[]> {
  const listing = await table();
  const wanted = zoneMasqueradeElements(spec);
  if (listing === undefined) return [`masquerade of ${spec.subnets.join(', ')} gone (table inet ${TABLE_NAME} missing)`];
  const rules = masqueradeRules();
  const chains = [...new Set(rules.map((rule) => rule.chain))];
  const listed = indexById(listing.elements);
  const missing = wanted.filter((element) => !listed.has(elementId(element))).map((e) => `${e.set} ${e.key.join(' . ')} missing`);
  return [...chainProblems(listing, chains, rules), ...missing];
}

/** How the zone's isolation differs from what its configuration says; empty when it is in place. */
export async function isolationDriftOf(config: ZoneConfig, table: TableNow): Promise<string[]> {
  const listing = await table();
  if (listing === undefined) return [`isolation of zone ${config.zone} gone (table inet ${TABLE_NAME} missing)`];
  return isolationDrift(isolationSpec(config), isolationStateOf(listing));
}

/** `ports: drift — tcp/8080 (IPv4) missing, [::1]:8080 proxy not running → run: zonectl repair` */
export function driftLine(what: string, drift: readonly string[]): string {
  return `${what}: drift — ${drift.join(', ')} → run: ${REPAIR_FIX}`;
}
