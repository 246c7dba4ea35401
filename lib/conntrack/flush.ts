// Forgetting flows: delete the connection-tracking entries of flows first sent to given
// destinations (protocol, port, optionally address). A UDP client that keeps its source port
// keeps matching its entry, and with it the NAT decision made when the entry was created: a
// DNAT to a container that is gone, or no DNAT at all when the mapping came later. Deleting
// the entry makes its next packet be decided afresh.
//
// Linux 6.1 (Debian 12) cannot delete by a filter (a filtered flush came in 6.8), so entries
// are dumped, matched and deleted one by one. A dump selects its family and protocol in the
// kernel (5.8+), and its port too when there are only a few ports to look at, so a host busy
// with other flows does not send them all over.

import { type Address, type IpFamily, sameAddress } from '../ip/index.js';
import { isGone } from './errors.js';
import { type ConntrackEntry, decodeEntry, deleteRequest, type DumpSelection, dumpRequest } from './messages.js';
import { type CtSocket, openConntrackSocket } from './socket.js';

export interface FlowDestination {
  family: IpFamily;
  /** IPPROTO_* (messages.ts). */
  protocol: number;
  port: number;
  /** Only flows to this address; flows to any address when undefined. */
  address?: Address;
}

export interface FlushOptions {
  /** The namespace whose entries to delete (a path); the thread's own when undefined. */
  netns?: string;
  /** The socket to use (unit tests); by default one opened in `netns` and closed afterwards. */
  open?: () => CtSocket;
}

/** Up to this many ports of one family and protocol are dumped port by port. */
const PORT_DUMP_LIMIT = 16;

function groupKey(d: { family: IpFamily; protocol: number }): string {
  return `${d.family}/${d.protocol}`;
}

function destinationKey(family: IpFamily, protocol: number, port: number): string {
  return `${family}/${protocol}/${port}`;
}

/** The dumps that cover `destinations`: one per port where there are few, else one per family and protocol. */
function selections(destinations: readonly FlowDestination[]): DumpSelection[] {
  const ports = new Map<string, { family: IpFamily; protocol: number; ports: Set<number> }>();
  for (const d of destinations) {
    const group = ports.get(groupKey(d)) ?? { family: d.family, protocol: d.protocol, ports: new Set<number>() };
    group.ports.add(d.port);
    ports.set(groupKey(d), group);
  }
  return [...ports.values()].flatMap(({ family, protocol, ports: set }) =>
    set.size <= PORT_DUMP_LIMIT ? [...set].map((destinationPort) => ({ family, protocol, destinationPort })) : [{ family, protocol }],
  );
}

/** For each family/protocol/port: the addresses asked for, `undefined` standing for any. */
function destinationIndex(destinations: readonly FlowDestination[]): Map<string, (Address | undefined)[]> {
  const index = new Map<string, (Address | undefined)[]>();
  for (const d of destinations) {
    const key = destinationKey(d.family, d.protocol, d.port);
    index.set(key, [...(index.get(key) ?? []), d.address]);
  }
  return index;
}

function matches(entry: ConntrackEntry, index: Map<string, (Address | undefined)[]>): boolean {
  const addresses = index.get(destinationKey(entry.family, entry.protocol, entry.destinationPort));
  return addresses?.some((address) => address === undefined || sameAddress(address, entry.destination)) ?? false;
}

function describe(selection: DumpSelection): string {
  const protocol = { 6: 'tcp', 17: 'udp', 132: 'sctp' }[selection.protocol] ?? `protocol ${selection.protocol}`;
  const port = selection.destinationPort === undefined ? '' : ` to port ${selection.destinationPort}`;
  return `list IPv${selection.family} ${protocol} flows${port}`;
}

/** 1 when deleted, 0 when it went by itself meanwhile. */
function deleteEntry(socket: CtSocket, entry: ConntrackEntry): number {
  try {
    socket.exchange(`delete an IPv${entry.family} flow to port ${entry.destinationPort}`, deleteRequest(entry));
    return 1;
  } catch (e) {
    if (isGone(e)) return 0;
    throw e;
  }
}

/** The entries of one family and protocol (and port), as the kernel has them now. Throws ConntrackError. */
export function listFlows(selection: DumpSelection, options: FlushOptions = {}): ConntrackEntry[] {
  const socket = options.open?.() ?? openConntrackSocket(options.netns);
  try {
    return socket.exchange(describe(selection), dumpRequest(selection)).flatMap((message) => decodeEntry(message) ?? []);
  } finally {
    socket.close();
  }
}

/** Delete the entries of flows first sent to any of `destinations`; how many were deleted. Throws ConntrackError. */
export function flushFlows(destinations: readonly FlowDestination[], options: FlushOptions = {}): number {
  if (destinations.length === 0) return 0;
  const socket = options.open?.() ?? openConntrackSocket(options.netns);
  try {
    const index = destinationIndex(destinations);
    let deleted = 0;
    for (const selection of selections(destinations)) {
      const entries = socket.exchange(describe(selection), dumpRequest(selection)).map(decodeEntry);
      for (const entry of entries) if (entry !== undefined && matches(entry, index)) deleted += deleteEntry(socket, entry);
    }
    return deleted;
  } finally {
    socket.close();
  }
}
