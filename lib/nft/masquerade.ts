// Masquerade for zones (the netlink backend's stand-in for networkd's IPMasquerade=):
// traffic from a zone's subnets that leaves through any interface other than the zone's
// bridge takes the address of the interface it leaves by. All zones share one nat
// chain with four fixed rules and, per family, two interval sets (subnets, and
// subnet . bridge pairs to exempt), so per-packet cost does not grow with zones. A
// zone's entries are set elements commented `zone:<zone>`: removal finds exactly them.
import { CniError, ErrorCode } from '../cni/errors.js';
import { formatSubnet, type IpFamily, parseCidr, subnetOf } from '../ip/index.js';
import { zoneNameProblem } from '../names/index.js';
import type { Listing } from './listing.js';
import type { Chain, Element, NftSet, NftObject, Rule } from './objects.js';
import { checkComment, quoteIfname } from './tokens.js';
import type { Transaction } from './transaction.js';

export interface ZoneMasquerade {
  zone: string;
  /** The zone's bridge (`vz-<zone>`): traffic leaving through it stays unchanged. */
  bridge: string;
  /** The zone's subnets, v4 and v6 (host bits are cleared). */
  subnets: readonly string[];
}

const masqueradeChain = 'zone_masquerade';

const familyNames = { 4: { suffix: 'v4', match: 'ip', type: 'ipv4_addr' }, 6: { suffix: 'v6', match: 'ip6', type: 'ipv6_addr' } } as const;

/** The set of subnets to masquerade, per family. */
function subnetSetName(family: IpFamily): string {
  return `zone_masq_${familyNames[family].suffix}`;
}

/** The set of `subnet . bridge` pairs that are not masqueraded, per family. */
function bridgeSetName(family: IpFamily): string {
  return `zone_local_${familyNames[family].suffix}`;
}

/** The comment that marks a zone's elements. */
export function zoneTag(zone: string): string {
  const problem = zoneNameProblem(zone);
  if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid zone name ${JSON.stringify(zone)}: ${problem}`);
  return checkComment(`zone:${zone}`);
}

const families: readonly IpFamily[] = [4, 6];

/** Table, sets and chain: declared on every use (`add` is idempotent for them). */
function masqueradeObjects(): NftObject[] {
  const sets = families.flatMap((family): NftSet[] => [
    { kind: 'set', name: subnetSetName(family), type: familyNames[family].type, flags: ['interval'] },
    { kind: 'set', name: bridgeSetName(family), type: `${familyNames[family].type} . ifname`, flags: ['interval'] },
  ]);
  const chain: Chain = { kind: 'chain', name: masqueradeChain, type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' };
  return [{ kind: 'table' }, ...sets, chain];
}

/** The chain's fixed rules; they never mention a zone. */
export function masqueradeRules(): Rule[] {
  return families.flatMap((family): Rule[] => {
    const { match } = familyNames[family];
    return [
      { kind: 'rule', chain: masqueradeChain, rule: `${match} saddr . oifname @${bridgeSetName(family)} return` },
      { kind: 'rule', chain: masqueradeChain, rule: `${match} saddr @${subnetSetName(family)} masquerade` },
    ];
  });
}

interface ZoneSubnet {
  family: IpFamily;
  /** As nft lists it: a single address has no `/32` (`/128`). */
  literal: string;
}

function zoneSubnet(text: string): ZoneSubnet {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid subnet ${JSON.stringify(text)} for masquerade`);
  return { family: cidr.address.family, literal: formatSubnet(subnetOf(cidr), { bareHost: true }) };
}

/** The elements that make a zone masqueraded. */
export function zoneMasqueradeElements(spec: ZoneMasquerade): Element[] {
  const comment = zoneTag(spec.zone);
  const bridge = quoteIfname(spec.bridge);
  return spec.subnets.map(zoneSubnet).flatMap(({ family, literal }): Element[] => [
    { kind: 'element', set: subnetSetName(family), key: [literal], comment },
    { kind: 'element', set: bridgeSetName(family), key: [literal, bridge], comment },
  ]);
}

const masqueradeSets = new Set(families.flatMap((family) => [subnetSetName(family), bridgeSetName(family)]));

function sameElement(a: Element, b: Element): boolean {
  return a.set === b.set && a.key.length === b.key.length && a.key.every((part, i) => part === b.key[i]);
}

/** The masquerade elements of `zone` in a listing of our table. */
export function zoneElementsIn(current: Listing | undefined, zone: string): Element[] {
  const tag = zoneTag(zone);
  return (current?.elements ?? []).filter((element) => masqueradeSets.has(element.set) && element.comment === tag);
}

/**
 * Make `spec.zone` masqueraded: declare the chain and sets, rewrite the fixed rules
 * (flush + add, so running it again leaves one copy), and add the zone's elements.
 * With `current` (a listing of our table) it also deletes the zone's outdated elements
 * and re-tags elements another zone left with the same key.
 */
export function addZoneMasquerade(tx: Transaction, spec: ZoneMasquerade, current?: Listing): Transaction {
  const wanted = zoneMasqueradeElements(spec);
  const tag = zoneTag(spec.zone);
  const existing = (current?.elements ?? []).filter((element) => masqueradeSets.has(element.set));
  const outdated = existing.filter((element) =>
    element.comment === tag ? !wanted.some((w) => sameElement(w, element)) : wanted.some((w) => sameElement(w, element)),
  );
  tx.add(...masqueradeObjects());
  tx.flush({ kind: 'chain', name: masqueradeChain });
  tx.add(...masqueradeRules());
  if (outdated.length > 0) tx.delete(...outdated);
  return tx.add(...wanted);
}

/** Delete exactly the zone's elements found in `current`; the chain and sets stay for other zones. */
export function removeZoneMasquerade(tx: Transaction, zone: string, current: Listing | undefined): Transaction {
  const found = zoneElementsIn(current, zone);
  return found.length > 0 ? tx.delete(...found) : tx;
}
