// Interface addresses: add (IPv4 with its broadcast address, IPv6 optionally without duplicate
// address detection so it is usable at once), list, delete. Addresses keep their host bits:
// 10.0.0.2/24 is the address 10.0.0.2 on a /24. Requests are laid out as `ip address` lays
// them out: struct ifaddrmsg, IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST.
//
// A list may be of another namespace, named by its id as this one sees it (IFA_TARGET_NETNSID;
// a veth's IFLA_LINK_NETNSID): how a host reads the addresses a machine gave its own end of a
// veth without entering the machine. The kernel honours the target only on a socket with strict
// checking (Rtnl.open's `strictChecking`) and answers for its own namespace otherwise, so every
// message of such a list must carry the target back, or the list fails. readAddresses hands the
// answer over at once (the socket is synchronous), listAddresses as a promise.

import { type Address as IpAddress, afOf, type Cidr, familyOfAf, type IpFamily, lastAddressOf, subnetOf } from '../ip/index.js';
import {
  addressAttribute,
  decodeAttributes,
  findAddress,
  findI32,
  findU32,
  readU32,
  type RawAttribute,
  s32Attribute,
  u32Attribute,
  writeU32,
} from './attributes.js';
import { cidrArgument, invalidArgument, malformedAnswer } from './errors.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, type RtMessage, type RtRequest } from './netlink.js';
import type { RtSocket } from './socket.js';

// linux/rtnetlink.h
export const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
// linux/if_addr.h
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;
const IFA_TARGET_NETNSID = 10;
const IFA_F_NODAD = 0x02;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;
const IFA_F_PERMANENT = 0x80;
const IFA_F_NOPREFIXROUTE = 0x200;
const ADDRESS_HEADER_LENGTH = 8;

export interface Address {
  readonly index: number;
  readonly family: IpFamily;
  /** The address without prefix. */
  readonly address: string;
  readonly prefixLength: number;
  /** `address/prefixLength`. */
  readonly cidr: string;
  readonly scope: number;
  readonly broadcast: string | undefined;
  /** IPv6: still doing duplicate address detection (not usable yet). */
  readonly tentative: boolean;
  readonly dadFailed: boolean;
  readonly noDad: boolean;
  readonly permanent: boolean;
}

export interface AddAddressOptions {
  /** IPv6: skip duplicate address detection (IFA_F_NODAD). */
  noDad?: boolean;
  /** Do not add the prefix route that comes with the address (IFA_F_NOPREFIXROUTE). */
  noPrefixRoute?: boolean;
  /** IPv4: set the broadcast address (default true; /31 and /32 have none). */
  broadcast?: boolean;
  /** Replace an existing equal address instead of failing with EEXIST. */
  replace?: boolean;
}

export interface AddressFilter {
  index?: number;
  family?: IpFamily;
  /** The namespace to list, by its id as the socket's namespace sees it; needs strict checking. */
  netnsId?: number;
}

/** struct ifaddrmsg. */
export interface AddressHeader {
  /** AF_INET, AF_INET6 */
  readonly family: number;
  readonly prefixLength: number;
  /** IFA_F_*, the low 8 bits only (IFA_FLAGS carries all of them). */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
}

export function addressHeader(header: AddressHeader): Buffer {
  const out = Buffer.alloc(ADDRESS_HEADER_LENGTH);
  out.writeUInt8(header.family, 0);
  out.writeUInt8(header.prefixLength, 1);
  out.writeUInt8(header.flags, 2);
  out.writeUInt8(header.scope, 3);
  writeU32(out, header.index, 4);
  return out;
}

export function decodeAddressHeader(body: Buffer): AddressHeader | undefined {
  if (body.length < ADDRESS_HEADER_LENGTH) return undefined;
  return {
    family: body.readUInt8(0),
    prefixLength: body.readUInt8(1),
    flags: body.readUInt8(2),
    scope: body.readUInt8(3),
    index: readU32(body, 4),
  };
}

function addressFlags(options: AddAddressOptions, family: IpFamily): number {
  return (options.noDad && family === 6 ? IFA_F_NODAD : 0) | (options.noPrefixRoute ? IFA_F_NOPREFIXROUTE : 0);
}

/** The IPv4 broadcast address of an address's subnet; none for /31 and /32, nor for IPv6. */
function broadcastOf(cidr: Cidr): IpAddress | undefined {
  return cidr.address.family === 4 && cidr.prefix < 31 ? lastAddressOf(subnetOf(cidr)) : undefined;
}

/** The request for one address on link `index`; a deletion carries only what identifies it. */
function addressRequest(type: number, flags: number, index: number, text: string, options: AddAddressOptions = {}): RtRequest {
  const operation = `address ${text}`;
  if (!Number.isInteger(index) || index <= 0) throw invalidArgument(operation, `bad link index ${index}`);
  const cidr = cidrArgument(operation, text);
  const { address } = cidr;
  const forDelete = type === RTM_DELADDR;
  const ifaFlags = forDelete ? 0 : addressFlags(options, address.family);
  const broadcast = forDelete || options.broadcast === false ? undefined : broadcastOf(cidr);
  // Flags beyond the 8 bits of ifa_flags need IFA_FLAGS; `ip` uses it only then, and so do we.
  const header = addressHeader({
    family: afOf(address.family),
    prefixLength: cidr.prefix,
    flags: ifaFlags <= 0xff ? ifaFlags : 0,
    scope: 0,
    index,
  });
  const attributes = [
    addressAttribute(IFA_LOCAL, address),
    addressAttribute(IFA_ADDRESS, address),
    ...(broadcast ? [addressAttribute(IFA_BROADCAST, broadcast)] : []),
    ...(ifaFlags > 0xff ? [u32Attribute(IFA_FLAGS, ifaFlags)] : []),
  ];
  return { type, flags, body: Buffer.concat([header, ...attributes]) };
}

export function addAddressRequest(index: number, cidr: string, options: AddAddressOptions = {}): RtRequest {
  return addressRequest(RTM_NEWADDR, NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL), index, cidr, options);
}

export function deleteAddressRequest(index: number, cidr: string): RtRequest {
  return addressRequest(RTM_DELADDR, 0, index, cidr);
}

/**
 * A dump of every address, or of one family's, one link's (a kernel with strict checking filters
 * by the index, others send every link's), in the namespace `netnsId` names or in the socket's.
 */
export function listAddressesRequest(filter: AddressFilter = {}): RtRequest {
  const { family, index = 0, netnsId } = filter;
  const operation = 'list addresses';
  if (!Number.isInteger(index) || index < 0) throw invalidArgument(operation, `bad link index ${index}`);
  if (netnsId !== undefined && (!Number.isInteger(netnsId) || netnsId < 0 || netnsId > 0x7fffffff))
    throw invalidArgument(operation, `bad namespace id ${netnsId}`);
  const header = addressHeader({ family: family === undefined ? 0 : afOf(family), prefixLength: 0, flags: 0, scope: 0, index });
  const target = netnsId === undefined ? [] : [s32Attribute(IFA_TARGET_NETNSID, netnsId)];
  return { type: RTM_GETADDR, flags: NLM_F_DUMP, body: Buffer.concat([header, ...target]) };
}

/** An address message (RTM_NEWADDR) as an Address; undefined for families other than IP. */
export function parseAddress(body: Buffer): Address | undefined {
  const header = decodeAddressHeader(body);
  const family = familyOfAf(header?.family);
  if (header === undefined || family === undefined) return undefined;
  const attributes = decodeAttributes(body.subarray(ADDRESS_HEADER_LENGTH));
  // For point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is always our own address.
  const address = findAddress(attributes, IFA_LOCAL) ?? findAddress(attributes, IFA_ADDRESS);
  if (address === undefined) return undefined;
  const flags = findU32(attributes, IFA_FLAGS) ?? header.flags;
  return {
    index: header.index,
    family,
    address,
    prefixLength: header.prefixLength,
    cidr: `${address}/${header.prefixLength}`,
    scope: header.scope,
    broadcast: findAddress(attributes, IFA_BROADCAST),
    tentative: (flags & IFA_F_TENTATIVE) !== 0,
    dadFailed: (flags & IFA_F_DADFAILED) !== 0,
    noDad: (flags & IFA_F_NODAD) !== 0,
    permanent: (flags & IFA_F_PERMANENT) !== 0,
  };
}

function parseAddresses(messages: readonly RtMessage[]): Address[] {
  return messages
    .filter((m) => m.type === RTM_NEWADDR)
    .map((m) => parseAddress(m.body))
    .filter((a): a is Address => a !== undefined);
}

function attributesOf(message: RtMessage): RawAttribute[] {
  return decodeAttributes(message.body.subarray(ADDRESS_HEADER_LENGTH));
}

/** A list of another namespace is only that when the kernel says so in every message. */
function checkTarget(operation: string, messages: readonly RtMessage[], netnsId: number): void {
  const foreign = messages.find((m) => m.type === RTM_NEWADDR && findI32(attributesOf(m), IFA_TARGET_NETNSID) !== netnsId);
  if (foreign === undefined) return;
  throw malformedAnswer(
    operation,
    `the kernel answered for this namespace, not for namespace id ${netnsId} (a target namespace needs a socket with strict checking)`,
  );
}

export async function addAddress(socket: RtSocket, index: number, cidr: string, options: AddAddressOptions = {}): Promise<void> {
  socket.exchange(`add address ${cidr} to link #${index}`, addAddressRequest(index, cidr, options));
}

/** Addresses, optionally of one link, one family, another namespace; at once (see the top of the file). */
export function readAddresses(socket: RtSocket, filter: AddressFilter = {}): Address[] {
  const operation = filter.netnsId === undefined ? 'list addresses' : `list addresses of namespace id ${filter.netnsId}`;
  const messages = socket.exchange(operation, listAddressesRequest(filter));
  if (filter.netnsId !== undefined) checkTarget(operation, messages, filter.netnsId);
  // Without strict checking the kernel ignores the filter fields of a dump; filter here.
  return parseAddresses(messages).filter(
    (a) => (filter.index === undefined || a.index === filter.index) && (filter.family === undefined || a.family === filter.family),
  );
}

export async function listAddresses(socket: RtSocket, filter: AddressFilter = {}): Promise<Address[]> {
  return readAddresses(socket, filter);
}

/** Delete one address; isRtnlNotFound (EADDRNOTAVAIL) when the link does not have it. */
export async function deleteAddress(socket: RtSocket, index: number, cidr: string): Promise<void> {
  socket.exchange(`delete address ${cidr} from link #${index}`, deleteAddressRequest(index, cidr));
}
