// ctnetlink messages (linux/netfilter/nfnetlink_conntrack.h): the dump request for the
// entries of one family and layer-4 protocol, optionally of one original destination port,
// what an entry of the answer says about where its flow went, and the request deleting it.
// Pure: bytes in, bytes out. Netlink framing and attribute TLVs are rtnetlink's (lib/rtnl).
// Attribute payloads inside a tuple are in network byte order; netlink's own integers
// (the filter flags) are in host order.

import { type Address, addressFromBytes, afOf, familyOfAf, type IpFamily } from '../ip/index.js';
import { attribute, decodeAttributes, findAttribute, type RawAttribute, u8Attribute, u32Attribute } from '../rtnl/attributes.js';
import { NLM_F_DUMP, type RtMessage, type RtRequest } from '../rtnl/netlink.js';

const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_NEW = 0;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const NFNETLINK_V0 = 0;
const NLA_F_NESTED = 0x8000;

const CTA_TUPLE_ORIG = 1;
const CTA_ID = 12;
const CTA_ZONE = 18;
const CTA_FILTER = 25;
const CTA_TUPLE_IP = 1;
const CTA_TUPLE_PROTO = 2;
const CTA_IP_V4_DST = 2;
const CTA_IP_V6_DST = 4;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_DST_PORT = 3;
const CTA_FILTER_ORIG_FLAGS = 1;
const CTA_FILTER_F_CTA_PROTO_NUM = 1 << 3;
const CTA_FILTER_F_CTA_PROTO_DST_PORT = 1 << 5;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

function messageType(message: number): number {
  return (NFNL_SUBSYS_CTNETLINK << 8) | message;
}

/** struct nfgenmsg: family, version, resource id (unused by ctnetlink). */
function nfgenmsg(family: IpFamily): Buffer {
  return Buffer.from([afOf(family), NFNETLINK_V0, 0, 0]);
}

function nested(type: number, children: readonly Buffer[]): Buffer {
  return attribute(type | NLA_F_NESTED, Buffer.concat(children));
}

function be16Attribute(type: number, value: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(value, 0);
  return attribute(type, payload);
}

export interface DumpSelection {
  family: IpFamily;
  protocol: number;
  /** Only entries whose original direction goes to this port. */
  destinationPort?: number;
}

/**
 * Dump the entries of a family and protocol (and port). Kernels before 5.8 ignore CTA_FILTER
 * and send every entry of the family; callers match the entries again either way.
 */
export function dumpRequest(selection: DumpSelection): RtRequest {
  const protocol = [u8Attribute(CTA_PROTO_NUM, selection.protocol)];
  let flags = CTA_FILTER_F_CTA_PROTO_NUM;
  if (selection.destinationPort !== undefined) {
    protocol.push(be16Attribute(CTA_PROTO_DST_PORT, selection.destinationPort));
    flags |= CTA_FILTER_F_CTA_PROTO_DST_PORT;
  }
  const body = Buffer.concat([
    nfgenmsg(selection.family),
    nested(CTA_TUPLE_ORIG, [nested(CTA_TUPLE_PROTO, protocol)]),
    nested(CTA_FILTER, [u32Attribute(CTA_FILTER_ORIG_FLAGS, flags)]),
  ]);
  return { type: messageType(IPCTNL_MSG_CT_GET), flags: NLM_F_DUMP, body };
}

/** Where an entry's flow was first sent, and what names the entry for its deletion. */
export interface ConntrackEntry {
  family: IpFamily;
  protocol: number;
  /** The original direction's destination address and port. */
  destination: Address;
  destinationPort: number;
  /** The entry's original tuple, id and zone attributes as the kernel sent them. */
  identity: Buffer;
}

function destinationOf(family: IpFamily, ip: RawAttribute[]): Address | undefined {
  const bytes = findAttribute(ip, family === 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST);
  const address = bytes && addressFromBytes(bytes);
  return address?.family === family ? address : undefined;
}

function rawAttribute(type: number, data: Buffer | undefined): Buffer[] {
  return data === undefined ? [] : [attribute(type === CTA_TUPLE_ORIG ? type | NLA_F_NESTED : type, data)];
}

/** An entry of a dump (IPCTNL_MSG_CT_NEW); undefined for other messages and entries without ports. */
export function decodeEntry(message: RtMessage): ConntrackEntry | undefined {
  if (message.type !== messageType(IPCTNL_MSG_CT_NEW) || message.body.length < 4) return undefined;
  const family = familyOfAf(message.body[0]);
  if (family === undefined) return undefined;
  const attributes = decodeAttributes(message.body.subarray(4));
  const tuple = findAttribute(attributes, CTA_TUPLE_ORIG);
  if (tuple === undefined) return undefined;
  const parts = decodeAttributes(tuple);
  const ip = decodeAttributes(findAttribute(parts, CTA_TUPLE_IP) ?? Buffer.alloc(0));
  const proto = decodeAttributes(findAttribute(parts, CTA_TUPLE_PROTO) ?? Buffer.alloc(0));
  const protocol = findAttribute(proto, CTA_PROTO_NUM)?.[0];
  const port = findAttribute(proto, CTA_PROTO_DST_PORT);
  const destination = destinationOf(family, ip);
  if (protocol === undefined || port?.length !== 2 || destination === undefined) return undefined;
  const identity = Buffer.concat([CTA_TUPLE_ORIG, CTA_ID, CTA_ZONE].flatMap((type) => rawAttribute(type, findAttribute(attributes, type))));
  return { family, protocol, destination, destinationPort: port.readUInt16BE(0), identity };
}

/** Delete exactly this entry: its original tuple, and its id, so a new flow with the same tuple stays. */
export function deleteRequest(entry: ConntrackEntry): RtRequest {
  return { type: messageType(IPCTNL_MSG_CT_DELETE), flags: 0, body: Buffer.concat([nfgenmsg(entry.family), entry.identity]) };
}
