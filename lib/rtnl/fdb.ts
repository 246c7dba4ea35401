// Forwarding entries of a VXLAN device (family AF_BRIDGE, the device's own table: NTF_SELF), as
// `bridge fdb append|del 00:00:00:00:00:00 dev vx-… dst PEER` makes them: each all-zeros entry
// names one peer that receives a copy of every broadcast, multicast and unknown-unicast frame
// (head-end replication). Several such entries coexist only when added with NLM_F_APPEND.

import { type Address, addressFromBytes, formatAddress } from '../ip/index.js';
import { addressAttribute, attribute, decodeAttributes, findAttribute, readI32, writeU16, writeU32 } from './attributes.js';
import { isRtnlExists, isRtnlNotFound } from './errors.js';
import { NLM_F_CREATE, NLM_F_DUMP, type RtMessage, type RtRequest } from './netlink.js';
import type { RtSocket } from './socket.js';

// linux/rtnetlink.h, linux/neighbour.h
const RTM_NEWNEIGH = 28;
const RTM_DELNEIGH = 29;
const RTM_GETNEIGH = 30;
const AF_BRIDGE = 7;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;
const NLM_F_APPEND = 0x800;
const NEIGHBOUR_HEADER_LENGTH = 12;
const ALL_ZEROS = Buffer.alloc(6);

/** A flood entry: a copy of every broadcast and unknown frame goes to `destination`. */
export interface FloodEntry {
  /** Index of the VXLAN device. */
  index: number;
  /** The peer's underlay address, canonical text. */
  destination: string;
}

/** struct ndmsg: family, padding, ifindex, state, flags, type. */
function neighbourHeader(index: number): Buffer {
  const out = Buffer.alloc(NEIGHBOUR_HEADER_LENGTH);
  out.writeUInt8(AF_BRIDGE, 0);
  writeU32(out, index, 4);
  writeU16(out, NUD_PERMANENT, 8);
  out.writeUInt8(NTF_SELF, 10);
  return out;
}

function floodRequest(type: number, flags: number, index: number, destination: Address): RtRequest {
  return {
    type,
    flags,
    body: Buffer.concat([neighbourHeader(index), attribute(NDA_LLADDR, ALL_ZEROS), addressAttribute(NDA_DST, destination)]),
  };
}

function addFloodRequest(index: number, destination: Address): RtRequest {
  return floodRequest(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, index, destination);
}

function deleteFloodRequest(index: number, destination: Address): RtRequest {
  return floodRequest(RTM_DELNEIGH, 0, index, destination);
}

function listFdbRequest(): RtRequest {
  const header = Buffer.alloc(NEIGHBOUR_HEADER_LENGTH);
  header.writeUInt8(AF_BRIDGE, 0);
  return { type: RTM_GETNEIGH, flags: NLM_F_DUMP, body: header };
}

/** The flood entry in one message of an FDB list, or undefined for any other entry. */
function parseFloodEntry(message: RtMessage): FloodEntry | undefined {
  const body = message.body;
  if (message.type !== RTM_NEWNEIGH || body.length < NEIGHBOUR_HEADER_LENGTH || body.readUInt8(0) !== AF_BRIDGE) return undefined;
  if ((body.readUInt8(10) & NTF_SELF) === 0) return undefined;
  const attributes = decodeAttributes(body.subarray(NEIGHBOUR_HEADER_LENGTH));
  const mac = findAttribute(attributes, NDA_LLADDR);
  const destination = findAttribute(attributes, NDA_DST);
  if (mac === undefined || !mac.equals(ALL_ZEROS) || destination === undefined) return undefined;
  const address = addressFromBytes(destination);
  return address ? { index: readI32(body, 4), destination: formatAddress(address) } : undefined;
}

/** The flood entries of the device `index`. */
export function readFloodEntries(socket: RtSocket, index: number): string[] {
  return socket
    .exchange('list fdb', listFdbRequest())
    .map(parseFloodEntry)
    .filter((entry): entry is FloodEntry => entry !== undefined && entry.index === index)
    .map((entry) => entry.destination);
}

/** Add the flood entry for `destination`; one already there is fine. */
export function addFloodEntry(socket: RtSocket, index: number, destination: Address): void {
  try {
    socket.exchange(`add fdb flood entry ${formatAddress(destination)}`, addFloodRequest(index, destination));
  } catch (e) {
    if (!isRtnlExists(e)) throw e;
  }
}

/** Remove the flood entry for `destination`; one already gone is fine. */
export function deleteFloodEntry(socket: RtSocket, index: number, destination: Address): void {
  try {
    socket.exchange(`delete fdb flood entry ${formatAddress(destination)}`, deleteFloodRequest(index, destination));
  } catch (e) {
    if (!isRtnlNotFound(e)) throw e;
  }
}
