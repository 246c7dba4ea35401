// CHECK: every mapping the attachment asked for is in the table, keyed as asked, leading to
// the container and carrying its tag; the fixed chains still hold their rules; localhost
// exposure still has route_localnet. One listing; every problem is reported, not the first.
import { formatHostPort } from '../ip/index.js';
import type { Listing } from '../nft/listing.js';
import type { Element } from '../nft/objects.js';
import { TABLE_NAME } from '../nft/our-table.js';
import { portsCheckFailed } from './errors.js';
import { routeInterface, routeLocalnetEnabled } from './localnet.js';
import { describeTag, ownerTag } from './owner.js';
import { claimLabel, elementId, indexById, planElements, planOf, sameValue, type PortsPlan } from './plan.js';
import { CHAINS, portsRules, SHARED_TAG } from './ruleset.js';
import { worldOf, type PortsDeps, type PortsRequest, type World } from './request.js';
import { readState } from './state.js';
import { containerTargets } from './targets.js';

/** `10.89.0.5:80`, `[fd89::5]:80` */
function targetLabel(value: readonly string[] | undefined): string {
  const [address = '?', port = '?'] = value ?? [];
  return formatHostPort(address, port);
}

function describeElement(element: Element): string {
  if (element.value !== undefined) return `${claimLabel(element)} → ${targetLabel(element.value)}`;
  return `${element.set} entry ${element.key.join(' . ')}`;
}

function elementProblems(expected: readonly Element[], listing: Listing, tag: string): string[] {
  const listed = indexById(listing.elements);
  return expected.flatMap((want) => {
    const have = listed.get(elementId(want));
    if (have === undefined) return [`${describeElement(want)} is missing`];
    if (want.comment !== SHARED_TAG && have.comment !== tag) return [`${describeElement(want)} is held by ${describeTag(have.comment)}`];
    if (want.value !== undefined && !sameValue(have, want))
      return [`${claimLabel(want)} leads to ${targetLabel(have.value)}, not ${targetLabel(want.value)}`];
    return [];
  });
}

function ruleProblems(listing: Listing): string[] {
  return Object.values(CHAINS).flatMap((chain) => {
    if (!listing.chains.some((c) => c.name === chain)) return [`chain ${chain} is missing`];
    const want = portsRules().filter((rule) => rule.chain === chain).length;
    const have = listing.rules.filter((rule) => rule.chain === chain).length;
    return have === want ? [] : [`chain ${chain} has ${have} rules, expected ${want}`];
  });
}

async function localnetProblems(world: World, plan: PortsPlan, request: PortsRequest): Promise<string[]> {
  const v4 = containerTargets(request.result)[4];
  if (!plan.loopback || v4 === undefined) return [];
  const ifname = routeInterface(v4.address, world.routeTable());
  if (ifname === undefined) return [`no route to ${v4.address}: localhost cannot reach it`];
  return (await routeLocalnetEnabled(ifname, world.sysctl))
    ? []
    : [`route_localnet is off on ${ifname}: localhost cannot reach the container`];
}

/** What the attachment should have: its mappings when the request names them, else its record. */
function expectedElements(request: PortsRequest, plan: PortsPlan): Element[] {
  if (request.mappings !== undefined) return [...planElements(plan), ...plan.shared];
  return readState(request.config.stateDir, request.owner)?.elements ?? [];
}

export async function checkPorts(request: PortsRequest, deps?: PortsDeps): Promise<void> {
  const plan = planOf(request);
  const expected = expectedElements(request, plan);
  if (expected.length === 0) return;
  const world = worldOf(deps);
  const listing = await world.table.list();
  const tag = ownerTag(request.owner);
  const problems =
    listing === undefined
      ? [
          `table inet ${TABLE_NAME} is missing (was the ruleset flushed?): ${expected
            .filter((e) => e.value)
            .map(describeElement)
            .join(', ')} gone`,
        ]
      : [...ruleProblems(listing), ...elementProblems(expected, listing, tag), ...(await localnetProblems(world, plan, request))];
  if (problems.length > 0) {
    throw portsCheckFailed(
      `published ports of ${describeTag(tag)} are not in place: ${problems.join('; ')}`,
      'ADD again (after DEL) to restore them',
    );
  }
}
