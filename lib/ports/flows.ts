// Flows that outlive a mapping. UDP has no connection to end: a client that keeps its source
// port keeps its conntrack entry, and with it the NAT decision made when the entry was
// created, a DNAT to a container that is gone, or none at all when the packet came before the
// mapping. So the entries of UDP flows to a host port are deleted whenever the port is
// published (ADD) or taken away (DEL, GC), in the namespace the mapping lives in (ours).
// TCP and SCTP need none of this: a new connection gets a new entry.
//
// Best effort: the mappings themselves are in place either way, so a failure is a warning
// on stderr, not a failed call.

import { type FlowDestination, flushFlows } from '../conntrack/flush.js';
import { IPPROTO_UDP } from '../conntrack/messages.js';
import { parseAddress, type IpFamily } from '../ip/index.js';
import type { Element } from '../nft/objects.js';
import { dnatMapName, FAMILIES } from './ruleset.js';

export interface FlowAccess {
  /** Delete the entries of flows to these destinations; how many. */
  forget(destinations: readonly FlowDestination[]): number;
}

export const kernelFlows: FlowAccess = { forget: (destinations) => flushFlows(destinations) };

/** DNAT map name → the family of its claims and whether their key names a host address. */
const claimMaps = new Map(
  FAMILIES.flatMap((family) => [true, false].map((specific) => [dnatMapName(family, specific), { family, specific }] as const)),
);

function destinationOf(element: Element): FlowDestination | undefined {
  const map = claimMaps.get(element.set);
  if (map === undefined || element.key[0] !== 'udp') return undefined;
  const port = Number(element.key.at(-1));
  const address = map.specific ? parseAddress(element.key[1] ?? '') : undefined;
  if (!Number.isInteger(port) || (map.specific && address === undefined)) return undefined;
  return { family: map.family as IpFamily, protocol: IPPROTO_UDP, port, ...(address && { address }) };
}

/** Where the UDP claims among `elements` lead flows: protocol, host port and, when restricted, host address. */
export function udpDestinations(elements: readonly Element[]): FlowDestination[] {
  return elements.flatMap((element) => destinationOf(element) ?? []);
}

/** Forget the flows to the UDP host ports among `elements`; a failure only warns. */
export function forgetUdpFlows(flows: FlowAccess, elements: readonly Element[], warn: (message: string) => void): void {
  const destinations = udpDestinations(elements);
  if (destinations.length === 0) return;
  try {
    flows.forget(destinations);
  } catch (e) {
    const reason = e instanceof Error ? `${e.message}${'details' in e && e.details ? `: ${String(e.details)}` : ''}` : String(e);
    warn(`UDP flows to the published ports may still reach their old destination: ${reason}`);
  }
}
