// One attachment's mappings → the elements that publish them:
// - claims: DNAT map entries, written with `create`, so a host port someone else holds
//   fails the whole transaction (the conflict check costs no listing);
// - marks: set entries keyed by the container (its address as a target, localhost opt-outs),
//   destroyed and added again (Transaction.destroy, then add), so they end up carrying our tag even over stale debris;
// - shared: the subnet . subnet hairpin pair of the container's subnet, owned by nobody:
//   written with `add` (idempotent), never removed (harmless once the subnet is empty).
// Claims and marks carry the attachment's tag; DEL and GC remove exactly them.
import type { Element } from '../nft/objects.js';
import { formatHostPort, type IpFamily } from '../ip/index.js';
import { invalidMapping } from './errors.js';
import { mappingLabel, type PortMapping, type Protocol } from './mappings.js';
import { ownerTag } from './owner.js';
import { planProxies, type ProxyPlan } from './proxies.js';
import type { PortsRequest } from './request.js';
import { dnatMapName, FAMILIES, hairpinSetName, NOLOCAL_SET, SHARED_TAG, targetSetName } from './ruleset.js';
import { containerTargets, type Target, type Targets } from './targets.js';

export interface PlanOptions {
  /** The owner's tag (owner.ts), the comment of every element. */
  tag: string;
  /** Publish on 127.0.0.0/8 too. */
  localhost: boolean;
  /** Publish on [::1] too (default: as `localhost`). */
  localhost6?: boolean;
}

export interface PortsPlan {
  claims: Element[];
  /** The [::1] listeners (proxies.ts): no element can publish there. */
  proxies: ProxyPlan[];
  marks: Element[];
  shared: Element[];
  /** IPv4 mappings reachable from 127.0.0.0/8: the route to the container needs route_localnet. */
  loopback: boolean;
}

function isLoopbackV4(address: string | undefined): boolean {
  return address?.startsWith('127.') ?? false;
}

function familiesOf(mapping: PortMapping): readonly IpFamily[] {
  return mapping.family === undefined ? FAMILIES : [mapping.family];
}

function claimOf(mapping: PortMapping, target: Target, tag: string): Element {
  const { protocol, hostPort, hostIP, containerPort } = mapping;
  const key = hostIP === undefined ? [protocol, String(hostPort)] : [protocol, hostIP, String(hostPort)];
  return {
    kind: 'element',
    set: dnatMapName(target.family, hostIP !== undefined),
    key,
    value: [target.address, String(containerPort)],
    comment: tag,
  };
}

/** What identifies an element in its set: the set and the key. */
export function elementId(element: Element): string {
  return `${element.set} ${element.key.join(' . ')}`;
}

/** Elements by elementId, so finding one among a listing's thousands costs no scan. */
export function indexById(elements: readonly Element[]): Map<string, Element> {
  return new Map(elements.map((element) => [elementId(element), element]));
}

/** The same host port twice in one request: fine when it leads to the same place, an error otherwise. */
function addClaim(claims: Map<string, { element: Element; mapping: PortMapping }>, element: Element, mapping: PortMapping): void {
  const id = elementId(element);
  const earlier = claims.get(id);
  if (earlier === undefined) {
    claims.set(id, { element, mapping });
  } else if (earlier.element.value?.join(' . ') !== element.value?.join(' . ')) {
    throw invalidMapping(
      `portMappings publish ${mappingLabel(mapping)} twice with different container ports (${earlier.mapping.containerPort} and ${mapping.containerPort})`,
    );
  }
}

function checkLocalhost(mapping: PortMapping, options: PlanOptions): void {
  const refused =
    mapping.hostIP === '::1' ? !(options.localhost6 ?? options.localhost) : !options.localhost && isLoopbackV4(mapping.hostIP);
  if (refused) {
    throw invalidMapping(
      `portMappings: ${mappingLabel(mapping)} publishes on localhost only, but "localhost" leaves it out`,
      'remove the hostIP or set "localhost": true',
    );
  }
}

/**
 * Mappings of a family the container has no address of are skipped, as the reference portmap
 * does; [::1] is not: its proxy reaches the container by whichever address it has.
 */
export function planPorts(mappings: readonly PortMapping[], targets: Targets, options: PlanOptions): PortsPlan {
  const claims = new Map<string, { element: Element; mapping: PortMapping }>();
  const marks: Element[] = [];
  let loopback = false;
  for (const mapping of mappings) {
    checkLocalhost(mapping, options);
    if (mapping.hostIP === '::1') continue;
    for (const family of familiesOf(mapping)) {
      const target = targets[family];
      if (target === undefined) continue;
      const claim = claimOf(mapping, target, options.tag);
      addClaim(claims, claim, mapping);
      if (family !== 4) continue;
      const anyAddress = mapping.hostIP === undefined;
      if (anyAddress && !options.localhost) marks.push({ kind: 'element', set: NOLOCAL_SET, key: claim.key, comment: options.tag });
      if ((anyAddress && options.localhost) || isLoopbackV4(mapping.hostIP)) loopback = true;
    }
  }
  const published = new Set([...claims.values()].map(({ element }) => element.set));
  const shared: Element[] = [];
  for (const family of FAMILIES) {
    const target = targets[family];
    if (target === undefined || ![true, false].some((specific) => published.has(dnatMapName(family, specific)))) continue;
    marks.push({ kind: 'element', set: targetSetName(family), key: [target.address], comment: options.tag });
    shared.push({ kind: 'element', set: hairpinSetName(family), key: [target.subnet, target.subnet], comment: SHARED_TAG });
  }
  return {
    claims: [...claims.values()].map(({ element }) => element),
    proxies: planProxies(mappings, targets, options.localhost6 ?? options.localhost),
    marks: dedupe(marks),
    shared,
    loopback,
  };
}

function dedupe(elements: readonly Element[]): Element[] {
  const seen = new Map<string, Element>();
  for (const element of elements) if (!seen.has(elementId(element))) seen.set(elementId(element), element);
  return [...seen.values()];
}

/** The plan of a request: what its ADD writes and its CHECK expects. */
export function planOf(request: PortsRequest): PortsPlan {
  return planPorts(request.mappings ?? [], containerTargets(request.result), {
    tag: ownerTag(request.owner),
    localhost: request.config.localhost,
    localhost6: request.config.localhost6,
  });
}

/** `tcp/8080 (IPv4)`, from a claim's key. */
export function claimLabel(claim: Element): string {
  const [protocol, ...rest] = claim.key;
  const hostPort = Number(rest.at(-1));
  const hostIP = rest.length === 2 ? rest[0] : undefined;
  const label = mappingLabel({ protocol: protocol as Protocol, hostPort, ...(hostIP !== undefined && { hostIP }) });
  return hostIP === undefined ? `${label} (IPv${claim.set.endsWith('v6') ? 6 : 4})` : label;
}

/** What the attachment owns: recorded for DEL, removed by DEL and GC. */
export function planElements(plan: PortsPlan): Element[] {
  return [...plan.claims, ...plan.marks];
}

export function sameValue(a: Element, b: Element): boolean {
  const [x, y] = [a.value ?? [], b.value ?? []];
  return x.length === y.length && x.every((part, i) => part === y[i]);
}

/** `10.89.0.5:80`, `[fd89::5]:80` */
export function targetLabel(value: readonly string[] | undefined): string {
  const [address = '?', port = '?'] = value ?? [];
  return formatHostPort(address, port);
}

/** For messages: a claim and where it leads, or a set entry. */
export function describeElement(element: Element): string {
  if (element.value !== undefined) return `${claimLabel(element)} → ${targetLabel(element.value)}`;
  return `${element.set} entry ${element.key.join(' . ')}`;
}
