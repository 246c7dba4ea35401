// CHECK: every mapping the attachment asked for is in the table, keyed as asked, leading to
// the container and carrying its tag; the fixed chains still hold their rules; localhost
// exposure still has route_localnet; each [::1] port has its proxy running. One listing; every
// problem is reported, not the first.
import type { Listing } from '../nft/listing.js';
import type { Element } from '../nft/objects.js';
import { TABLE_NAME } from '../nft/our-table.js';
import { portsCheckFailed } from './errors.js';
import { routeInterface, routeLocalnetEnabled } from './localnet.js';
import { describeTag, ownerTag } from './owner.js';
import { claimLabel, describeElement, elementId, indexById, planElements, planOf, sameValue, targetLabel, type PortsPlan } from './plan.js';
import { CHAINS, portsRules, SHARED_TAG } from './ruleset.js';
import { worldOf, type PortsDeps, type PortsRequest, type World } from './request.js';
import { type ProxyPlan, proxyLabel } from './proxies.js';
import { type ProxyRecord, readState } from './state.js';
import { containerTargets } from './targets.js';

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

/**
 * What the attachment should have: its mappings and [::1] ports when the request names them,
 * else its record. The record is read once, and only when the answer needs it.
 */
function expectations(request: PortsRequest, plan: PortsPlan): { elements: Element[]; proxies: ProxyPlan[]; records: ProxyRecord[] } {
  const named = request.mappings !== undefined;
  const state = named && plan.proxies.length === 0 ? undefined : readState(request.config.stateDir, request.owner);
  const records = state?.proxies ?? [];
  return named
    ? { elements: [...planElements(plan), ...plan.shared], proxies: plan.proxies, records }
    : { elements: state?.elements ?? [], proxies: records, records };
}

/** Each [::1] port expected must have a recorded proxy that runs. */
async function proxyProblems(
  world: World,
  request: PortsRequest,
  wanted: readonly ProxyPlan[],
  records: readonly ProxyRecord[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const want of wanted) {
    const record = records.find((r) => r.port === want.port && r.target === want.target);
    if (record === undefined) problems.push(`${proxyLabel(want)} has no proxy`);
    else if (!(await world.proxies.runs(record, request.config.stateDir, request.owner)))
      problems.push(`the proxy of ${proxyLabel(want)} is not running`);
  }
  return problems;
}

async function tableProblems(world: World, request: PortsRequest, plan: PortsPlan, expected: readonly Element[]): Promise<string[]> {
  if (expected.length === 0) return [];
  const listing = await world.table.list();
  if (listing === undefined) {
    const gone = expected.filter((e) => e.value).map(describeElement);
    return [`table inet ${TABLE_NAME} is missing (was the ruleset flushed?): ${gone.join(', ')} gone`];
  }
  return [
    ...ruleProblems(listing),
    ...elementProblems(expected, listing, ownerTag(request.owner)),
    ...(await localnetProblems(world, plan, request)),
  ];
}

export async function checkPorts(request: PortsRequest, deps?: PortsDeps): Promise<void> {
  const plan = planOf(request);
  const world = worldOf(deps);
  const expected = expectations(request, plan);
  const problems = [
    ...(await tableProblems(world, request, plan, expected.elements)),
    ...(await proxyProblems(world, request, expected.proxies, expected.records)),
  ];
  if (problems.length > 0) {
    throw portsCheckFailed(
      `published ports of ${describeTag(ownerTag(request.owner))} are not in place: ${problems.join('; ')}`,
      '"zonectl repair" restores them from the records (or DEL and ADD again)',
    );
  }
}
