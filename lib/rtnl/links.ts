// Links: read them (by name, index, all), create bridges and veth pairs (the peer straight
// into another namespace with IFLA_NET_NS_FD), and change them (up/down, MTU, MAC, master,
// bridge-port hairpin). Builders are pure and return what the socket sends; the operations
// below them run one request each.

import type { ifla, rt } from 'netlink';
import { interfaceNameProblem } from '../cni/env.js';
import type { NetnsHandle } from '../netns/open.js';
import {
  decodeAttributes,
  decodeString,
  findAttribute,
  interfaceInfoHeader,
  nestedAttribute,
  readU32,
  stringAttribute,
  u32Attribute,
  u8Attribute,
  attribute,
} from './attributes.js';
import { invalidArgument, isNotFound, notFound, request } from './errors.js';
import { NLM_F_CREATE, NLM_F_EXCL, requestOptions, type RtSocket } from './socket.js';

// linux/if_link.h
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4; // hairpin

export interface Link {
  readonly index: number;
  readonly name: string;
  /** `bridge`, `veth`, ...; undefined for devices without a kind (lo, physical NICs). */
  readonly kind: string | undefined;
  readonly mtu: number | undefined;
  /** `aa:bb:cc:dd:ee:ff`; undefined for links without one. */
  readonly mac: string | undefined;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** IFLA_IFALIAS, when set. */
  readonly alias?: string | undefined;
  /** Index of the master (the bridge of a bridge port). */
  readonly master: number | undefined;
  /** Kind of the master when this link is a port (`bridge`). */
  readonly portKind: string | undefined;
  /** Hairpin mode, for a bridge port. */
  readonly hairpin: boolean | undefined;
  /** For a veth whose peer is in another namespace: that namespace's id as seen from here. */
  readonly peerNetnsId: number | undefined;
}

/** A link by index, by name, or as read before. */
export type LinkRef = number | string | Link;

export interface LinkRequest {
  readonly data: rt.Link;
  readonly attrs: ifla.LinkAttrs;
}

export interface BridgeOptions {
  mtu?: number;
  mac?: string;
}

export interface VethOptions {
  /** The end that stays in this namespace. */
  name: string;
  /** The other end, created under this name straight in `peerNetns` (or here when absent). */
  peerName: string;
  peerNetns?: NetnsHandle | number;
  /** MTU of both ends. */
  mtu?: number;
  mac?: string;
  peerMac?: string;
  /** IFLA_IFALIAS of this end: a label that survives in the kernel, for finding the link later. */
  alias?: string;
}

const macPattern = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

export function parseMac(mac: string): Buffer {
  if (!macPattern.test(mac)) throw invalidArgument('parse MAC address', `"${mac}" is not a MAC address`);
  return Buffer.from(mac.split(':').map((byte) => parseInt(byte, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

export function validateLinkName(name: string, operation = 'link name'): void {
  const problem = interfaceNameProblem(name);
  if (problem) throw invalidArgument(operation, `invalid interface name "${name}": ${problem}`);
}

function validateMtu(mtu: number | undefined, operation: string): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    throw invalidArgument(operation, `MTU ${mtu} is outside 68-65535`);
  }
}

/** IFALIASZ is 256 with the terminating NUL; printable ASCII only, so nothing odd reaches `ip link`. */
function validateAlias(alias: string, operation: string): void {
  if (!/^[\x20-\x7e]{1,255}$/.test(alias)) throw invalidArgument(operation, `invalid interface alias "${alias}"`);
}

function netnsFd(netns: NetnsHandle | number): number {
  return typeof netns === 'number' ? netns : netns.fd;
}

/** The attributes every created link may carry: name, MTU, MAC. */
function commonAttributes(name: string, mtu: number | undefined, mac: string | undefined): ifla.LinkAttrs {
  return {
    ifname: name,
    ...(mtu === undefined ? {} : { mtu }),
    ...(mac === undefined ? {} : { address: parseMac(mac) }),
  };
}

export function bridgeRequest(name: string, options: BridgeOptions = {}): LinkRequest {
  validateLinkName(name, `create bridge ${name}`);
  validateMtu(options.mtu, `create bridge ${name}`);
  return {
    data: {},
    attrs: { ...commonAttributes(name, options.mtu, options.mac), linkinfo: stringAttribute(IFLA_INFO_KIND, 'bridge') },
  };
}

/** The peer's half of a veth request: struct ifinfomsg, then its own attributes. */
function vethPeer(options: Omit<VethOptions, 'alias'>): Buffer {
  return nestedAttribute(VETH_INFO_PEER, [
    interfaceInfoHeader(),
    stringAttribute(IFLA_IFNAME, options.peerName),
    ...(options.mtu === undefined ? [] : [u32Attribute(IFLA_MTU, options.mtu)]),
    ...(options.peerMac === undefined ? [] : [attribute(IFLA_ADDRESS, parseMac(options.peerMac))]),
    ...(options.peerNetns === undefined ? [] : [u32Attribute(IFLA_NET_NS_FD, netnsFd(options.peerNetns))]),
  ]);
}

/** The create request of a veth pair; the alias takes a second request (see createVeth). */
export function vethRequest(options: Omit<VethOptions, 'alias'>): LinkRequest {
  const operation = `create veth ${options.name}`;
  validateLinkName(options.name, operation);
  validateLinkName(options.peerName, operation);
  validateMtu(options.mtu, operation);
  const linkinfo = Buffer.concat([stringAttribute(IFLA_INFO_KIND, 'veth'), nestedAttribute(IFLA_INFO_DATA, [vethPeer(options)])]);
  return { data: {}, attrs: { ...commonAttributes(options.name, options.mtu, options.mac), linkinfo } };
}

/** Bridge-port settings travel as slave data of the port (`ip link set X type bridge_slave hairpin on`). */
export function hairpinRequest(index: number, on: boolean): LinkRequest {
  const linkinfo = Buffer.concat([
    stringAttribute(IFLA_INFO_SLAVE_KIND, 'bridge'),
    nestedAttribute(IFLA_INFO_SLAVE_DATA, [u8Attribute(IFLA_BRPORT_MODE, on ? 1 : 0)]),
  ]);
  return { data: { index }, attrs: { linkinfo } };
}

interface LinkInfo {
  kind?: string;
  portKind?: string;
  hairpin?: boolean;
}

/** What IFLA_LINKINFO says about a link: its kind, and as a bridge port its hairpin mode. */
export function parseLinkInfo(linkinfo: Buffer | undefined): LinkInfo {
  if (linkinfo === undefined) return {};
  const attributes = decodeAttributes(linkinfo);
  const kind = findAttribute(attributes, IFLA_INFO_KIND);
  const portKind = findAttribute(attributes, IFLA_INFO_SLAVE_KIND);
  const portData = findAttribute(attributes, IFLA_INFO_SLAVE_DATA);
  const info: LinkInfo = {};
  if (kind) info.kind = decodeString(kind);
  if (portKind) info.portKind = decodeString(portKind);
  const mode = portData && findAttribute(decodeAttributes(portData), IFLA_BRPORT_MODE);
  if (info.portKind === 'bridge' && mode?.length) info.hairpin = mode[0] === 1;
  return info;
}

export function parseLink(message: { data: rt.Link; attrs: ifla.LinkAttrs }): Link {
  const { data, attrs } = message;
  const info = parseLinkInfo(attrs.linkinfo);
  return {
    index: data.index ?? 0,
    name: attrs.ifname ?? '',
    kind: info.kind,
    mtu: attrs.mtu,
    mac: attrs.address && attrs.address.length > 0 ? formatMac(attrs.address) : undefined,
    up: data.flags?.up === true,
    master: attrs.master || undefined,
    portKind: info.portKind,
    hairpin: info.hairpin,
    peerNetnsId: attrs.linkNetnsid,
    alias: attrs.ifalias || undefined,
  };
}

function describeRef(ref: LinkRef): string {
  if (typeof ref === 'number') return `link #${ref}`;
  return typeof ref === 'string' ? ref : ref.name;
}

export async function getLink(socket: RtSocket, name: string): Promise<Link | undefined> {
  validateLinkName(name, `get link ${name}`);
  try {
    const [message] = await request(`get link ${name}`, () => socket.getLink({}, { ifname: name }, requestOptions()));
    return message && parseLink(message);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function getLinkByIndex(socket: RtSocket, index: number): Promise<Link | undefined> {
  try {
    const [message] = await request(`get link #${index}`, () => socket.getLink({ index }, {}, requestOptions()));
    return message && parseLink(message);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function listLinks(socket: RtSocket): Promise<Link[]> {
  const messages = await request('list links', () => socket.getLinks({}, {}, requestOptions()));
  return messages.map(parseLink);
}

/** The index of `ref`; a name costs one lookup and must exist. */
export async function resolveIndex(socket: RtSocket, ref: LinkRef): Promise<number> {
  if (typeof ref === 'number') return ref;
  if (typeof ref !== 'string') return ref.index;
  const link = await getLink(socket, ref);
  if (!link) throw notFound(`find link ${ref}`, `link ${ref}`);
  return link.index;
}

async function create(socket: RtSocket, operation: string, name: string, built: LinkRequest): Promise<Link> {
  await request(operation, () => socket.newLink(built.data, built.attrs, requestOptions(NLM_F_CREATE | NLM_F_EXCL)));
  const link = await getLink(socket, name);
  if (!link) throw notFound(operation, `link ${name} right after creating it`);
  return link;
}

/** A new bridge (down); EEXIST when the name is taken. */
export function createBridge(socket: RtSocket, name: string, options: BridgeOptions = {}): Promise<Link> {
  return create(socket, `create bridge ${name}`, name, bridgeRequest(name, options));
}

/** A new veth pair (both ends down); returns the end in this namespace. */
export async function createVeth(socket: RtSocket, options: VethOptions): Promise<Link> {
  const { alias, ...rest } = options;
  if (alias !== undefined) validateAlias(alias, `create veth ${options.name}`);
  const link = await create(socket, `create veth ${options.name}`, options.name, vethRequest(rest));
  if (alias === undefined) return link;
  // The kernel ignores IFLA_IFALIAS in a create request; only a change of the link sets it.
  await change(socket, link, `set alias of ${options.name}`, {}, { ifalias: alias });
  return { ...link, alias };
}

async function change(socket: RtSocket, ref: LinkRef, operation: string, data: rt.Link, attrs: ifla.LinkAttrs): Promise<void> {
  const index = await resolveIndex(socket, ref);
  await request(operation, () => socket.setLink({ ...data, index }, attrs, requestOptions()));
}

export function setUp(socket: RtSocket, ref: LinkRef): Promise<void> {
  return change(socket, ref, `set ${describeRef(ref)} up`, { flags: { up: true }, change: { up: true } }, {});
}

export function setDown(socket: RtSocket, ref: LinkRef): Promise<void> {
  return change(socket, ref, `set ${describeRef(ref)} down`, { flags: {}, change: { up: true } }, {});
}

export function setMtu(socket: RtSocket, ref: LinkRef, mtu: number): Promise<void> {
  const operation = `set MTU of ${describeRef(ref)}`;
  validateMtu(mtu, operation);
  return change(socket, ref, operation, {}, { mtu });
}

export function setMac(socket: RtSocket, ref: LinkRef, mac: string): Promise<void> {
  return change(socket, ref, `set MAC of ${describeRef(ref)}`, {}, { address: parseMac(mac) });
}

/** Enslave `ref` to `master` (a bridge), or release it when `master` is undefined. */
export async function setMaster(socket: RtSocket, ref: LinkRef, master: LinkRef | undefined): Promise<void> {
  const masterIndex = master === undefined ? 0 : await resolveIndex(socket, master);
  const operation = master === undefined ? `release ${describeRef(ref)}` : `attach ${describeRef(ref)} to ${describeRef(master)}`;
  return change(socket, ref, operation, {}, { master: masterIndex });
}

/** Hairpin mode of a bridge port (the port must already be attached). */
export async function setHairpin(socket: RtSocket, ref: LinkRef, on: boolean): Promise<void> {
  const operation = `set hairpin ${on ? 'on' : 'off'} on ${describeRef(ref)}`;
  const built = hairpinRequest(await resolveIndex(socket, ref), on);
  await request(operation, () => socket.newLink(built.data, built.attrs, requestOptions()));
}

/** Delete a link (a veth takes its peer with it); isNotFound when it is not there. */
export async function deleteLink(socket: RtSocket, ref: LinkRef): Promise<void> {
  const operation = `delete ${describeRef(ref)}`;
  if (typeof ref === 'string') {
    validateLinkName(ref, operation);
    await request(operation, () => socket.delLink({}, { ifname: ref }, requestOptions()));
    return;
  }
  const index = typeof ref === 'number' ? ref : ref.index;
  await request(operation, () => socket.delLink({ index }, {}, requestOptions()));
}

/** deleteLink that treats "not there" as done; true when something was deleted. */
export async function deleteLinkIfExists(socket: RtSocket, ref: LinkRef): Promise<boolean> {
  try {
    await deleteLink(socket, ref);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
