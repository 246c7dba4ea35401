// Interface addresses: add (IPv4 with its broadcast address, IPv6 optionally without duplicate
// address detection so it is usable at once), list, delete. Addresses keep their host bits:
// 10.0.0.2/24 is the address 10.0.0.2 on a /24.

import type { rt } from 'netlink';
import { invalidArgument, request } from './errors.js';
import { addressFamily, formatIp, ipFamilyOf, ipv4Broadcast, parseCidr, type IpFamily } from './ip.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, requestOptions, type RtSocket } from './socket.js';

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
}

export interface AddressRequest {
  readonly data: rt.Address;
  readonly attrs: rt.AddressAttrs;
}

function addressFlags(options: AddAddressOptions, family: IpFamily): rt.AddressFlags | undefined {
  const flags: rt.AddressFlags = {};
  if (options.noDad && family === 6) flags.nodad = true;
  if (options.noPrefixRoute) flags.noprefixroute = true;
  return Object.keys(flags).length > 0 ? flags : undefined;
}

/** The request for one address on link `index`; `forDelete` leaves out what deletion ignores. */
export function addressRequest(index: number, cidr: string, options: AddAddressOptions = {}, forDelete = false): AddressRequest {
  if (!Number.isInteger(index) || index <= 0) throw invalidArgument(`address ${cidr}`, `bad link index ${index}`);
  const prefix = parseCidr(cidr);
  const data: rt.Address = { family: addressFamily(prefix.family), prefixlen: prefix.prefixLength, scope: 0, index };
  const attrs: rt.AddressAttrs = { local: prefix.bytes, address: prefix.bytes };
  if (forDelete) return { data, attrs };
  const broadcast = options.broadcast === false ? undefined : ipv4Broadcast(prefix);
  if (broadcast) attrs.broadcast = broadcast;
  const flags = addressFlags(options, prefix.family);
  if (flags) attrs.flags = flags;
  return { data, attrs };
}

export function parseAddress(message: { data: rt.Address; attrs: rt.AddressAttrs }): Address | undefined {
  const { data, attrs } = message;
  const family = ipFamilyOf(data.family);
  // For point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is always our own address.
  const bytes = attrs.local ?? attrs.address;
  if (family === undefined || bytes === undefined) return undefined;
  const address = formatIp(bytes);
  const prefixLength = data.prefixlen ?? 0;
  const flags = attrs.flags ?? data.flags ?? {};
  return {
    index: data.index ?? 0,
    family,
    address,
    prefixLength,
    cidr: `${address}/${prefixLength}`,
    scope: data.scope ?? 0,
    broadcast: attrs.broadcast && formatIp(attrs.broadcast),
    tentative: flags.tentative === true,
    dadFailed: flags.dadfailed === true,
    noDad: flags.nodad === true,
    permanent: flags.permanent === true,
  };
}

export async function addAddress(socket: RtSocket, index: number, cidr: string, options: AddAddressOptions = {}): Promise<void> {
  const built = addressRequest(index, cidr, options);
  const flags = NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  await request(`add address ${cidr} to link #${index}`, () => socket.newAddress(built.data, built.attrs, requestOptions(flags)));
}

/** Addresses, optionally of one link and one family. */
export async function listAddresses(socket: RtSocket, filter: AddressFilter = {}): Promise<Address[]> {
  const query: rt.Address = filter.family === undefined ? {} : { family: addressFamily(filter.family) };
  const messages = await request('list addresses', () => socket.getAddresses(query, {}, requestOptions()));
  // Without strict checking the kernel ignores the filter fields of a dump; filter here.
  return messages
    .map(parseAddress)
    .filter((a): a is Address => a !== undefined)
    .filter((a) => (filter.index === undefined || a.index === filter.index) && (filter.family === undefined || a.family === filter.family));
}

/** Delete one address; isNotFound (EADDRNOTAVAIL) when the link does not have it. */
export async function deleteAddress(socket: RtSocket, index: number, cidr: string): Promise<void> {
  const built = addressRequest(index, cidr, {}, true);
  await request(`delete address ${cidr} from link #${index}`, () => socket.delAddress(built.data, built.attrs, requestOptions()));
}
