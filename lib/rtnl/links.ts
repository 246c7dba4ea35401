// Links: read them (by name, index, all, or the ports of one master), create bridges and veth
// pairs (the peer straight into another namespace with IFLA_NET_NS_FD), and change them (up/down,
// MTU, MAC, master, bridge-port hairpin). Builders are pure and return the RTM_*LINK request the
// socket sends (attributes in the order `ip link` sends them); the operations below them run one
// request each. The socket answers synchronously: readLink and readLinks hand the answer over at
// once, for a caller that must answer within one turn of its event loop (the zone's name server);
// the other operations return promises, as the rest of the client does.

import { interfaceNameProblem } from '../names/index.js';
import type { NetnsHandle } from '../netns/open.js';
import {
  attribute,
  decodeAttributes,
  decodeInterfaceInfoHeader,
  findAttribute,
  findI32,
  findString,
  findU32,
  INTERFACE_INFO_LENGTH,
  interfaceInfoHeader,
  nestedAttribute,
  stringAttribute,
  u32Attribute,
  u8Attribute,
  type InterfaceInfoHeader,
} from './attributes.js';
import { invalidArgument, isRtnlNotFound, notFound } from './errors.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, type RtMessage, type RtRequest } from './netlink.js';
import type { RtSocket } from './socket.js';

// linux/rtnetlink.h
export const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
// linux/if.h
const IFF_UP = 0x1;
// linux/if_link.h
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_NET_NS_FD = 28;
const IFLA_EXT_MASK = 29;
const IFLA_LINK_NETNSID = 37;
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
  /**
   * IFLA_LINK: for a veth, its peer's index, in the namespace `peerNetnsId` names (this one when
   * that is undefined); for a VLAN or macvlan, its lower link. Undefined when the kernel gives none.
   */
  readonly peerIndex?: number | undefined;
}

/** Which links a dump returns. */
export interface LinkFilter {
  /** Only the ports of this master (a bridge's index). */
  master?: number;
}

/** A link by index, by name, or as read before. */
export type LinkRef = number | string | Link;

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

function validateLinkName(name: string, operation = 'link name'): void {
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

function linkRequest(type: number, flags: number, header: InterfaceInfoHeader, attributes: readonly Buffer[]): RtRequest {
  return { type, flags, body: Buffer.concat([interfaceInfoHeader(header), ...attributes]) };
}

/** The attributes every created link may carry: MTU, MAC, name. */
function commonAttributes(name: string, mtu: number | undefined, mac: string | undefined): Buffer[] {
  return [
    ...(mtu === undefined ? [] : [u32Attribute(IFLA_MTU, mtu)]),
    ...(mac === undefined ? [] : [attribute(IFLA_ADDRESS, parseMac(mac))]),
    stringAttribute(IFLA_IFNAME, name),
  ];
}

/** The link kind without a terminating NUL, as `ip` sends it; the kernel takes either. */
function kindAttribute(kind: string): Buffer {
  return attribute(IFLA_INFO_KIND, Buffer.from(kind, 'utf8'));
}

// Without stats a link message is a third shorter, and we never read them.
const skipStats = u32Attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

export function getLinkRequest(ref: string | number): RtRequest {
  if (typeof ref === 'number') return linkRequest(RTM_GETLINK, 0, { index: ref }, [skipStats]);
  return linkRequest(RTM_GETLINK, 0, {}, [stringAttribute(IFLA_IFNAME, ref), skipStats]);
}

/** A dump of every link, or of one master's ports (the kernel filters by IFLA_MASTER). */
export function listLinksRequest(filter: LinkFilter = {}): RtRequest {
  const master = filter.master === undefined ? [] : [u32Attribute(IFLA_MASTER, filter.master)];
  return linkRequest(RTM_GETLINK, NLM_F_DUMP, {}, [...master, skipStats]);
}

export function bridgeRequest(name: string, options: BridgeOptions = {}): RtRequest {
  validateLinkName(name, `create bridge ${name}`);
  validateMtu(options.mtu, `create bridge ${name}`);
  return linkRequest(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, {}, [
    ...commonAttributes(name, options.mtu, options.mac),
    nestedAttribute(IFLA_LINKINFO, [kindAttribute('bridge')]),
  ]);
}

/** The peer's half of a veth request: struct ifinfomsg, then its own attributes. */
function vethPeer(options: Omit<VethOptions, 'alias'>): Buffer {
  return nestedAttribute(VETH_INFO_PEER, [
    interfaceInfoHeader(),
    ...commonAttributes(options.peerName, options.mtu, options.peerMac),
    ...(options.peerNetns === undefined ? [] : [u32Attribute(IFLA_NET_NS_FD, netnsFd(options.peerNetns))]),
  ]);
}

/** The create request of a veth pair; the alias takes a second request (see createVeth). */
export function vethRequest(options: Omit<VethOptions, 'alias'>): RtRequest {
  const operation = `create veth ${options.name}`;
  validateLinkName(options.name, operation);
  validateLinkName(options.peerName, operation);
  validateMtu(options.mtu, operation);
  const linkinfo = nestedAttribute(IFLA_LINKINFO, [kindAttribute('veth'), nestedAttribute(IFLA_INFO_DATA, [vethPeer(options)])]);
  return linkRequest(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, {}, [...commonAttributes(options.name, options.mtu, options.mac), linkinfo]);
}

/** IFF_* flags to set (`flags`) among those to change (`change`); the others stay. */
type FlagChange = Pick<InterfaceInfoHeader, 'flags' | 'change'>;

/** A change of an existing link: attributes, and flags. */
function setLinkRequest(index: number, attributes: readonly Buffer[], flags: FlagChange = {}): RtRequest {
  return linkRequest(RTM_SETLINK, 0, { index, ...flags }, attributes);
}

/** Bridge-port settings travel as slave data of the port (`ip link set X type bridge_slave hairpin on`). */
export function hairpinRequest(index: number, on: boolean): RtRequest {
  const linkinfo = nestedAttribute(IFLA_LINKINFO, [
    stringAttribute(IFLA_INFO_SLAVE_KIND, 'bridge'),
    nestedAttribute(IFLA_INFO_SLAVE_DATA, [u8Attribute(IFLA_BRPORT_MODE, on ? 1 : 0)]),
  ]);
  return linkRequest(RTM_NEWLINK, 0, { index }, [linkinfo]);
}

function deleteLinkRequest(ref: string | number): RtRequest {
  if (typeof ref === 'number') return linkRequest(RTM_DELLINK, 0, { index: ref }, []);
  return linkRequest(RTM_DELLINK, 0, {}, [stringAttribute(IFLA_IFNAME, ref)]);
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
  const kind = findString(attributes, IFLA_INFO_KIND);
  const portKind = findString(attributes, IFLA_INFO_SLAVE_KIND);
  const portData = findAttribute(attributes, IFLA_INFO_SLAVE_DATA);
  const info: LinkInfo = {};
  if (kind) info.kind = kind;
  if (portKind) info.portKind = portKind;
  const mode = portData && findAttribute(decodeAttributes(portData), IFLA_BRPORT_MODE);
  if (info.portKind === 'bridge' && mode?.length) info.hairpin = mode[0] === 1;
  return info;
}

/** A link message (RTM_NEWLINK) as a Link; undefined when it is too short to be one. */
export function parseLink(body: Buffer): Link | undefined {
  const header = decodeInterfaceInfoHeader(body);
  if (header === undefined) return undefined;
  const attributes = decodeAttributes(body.subarray(INTERFACE_INFO_LENGTH));
  const info = parseLinkInfo(findAttribute(attributes, IFLA_LINKINFO));
  const mac = findAttribute(attributes, IFLA_ADDRESS);
  return {
    index: header.index,
    name: findString(attributes, IFLA_IFNAME) ?? '',
    kind: info.kind,
    mtu: findU32(attributes, IFLA_MTU),
    mac: mac && mac.length > 0 ? formatMac(mac) : undefined,
    up: (header.flags & IFF_UP) !== 0,
    master: findU32(attributes, IFLA_MASTER) || undefined,
    portKind: info.portKind,
    hairpin: info.hairpin,
    peerNetnsId: findI32(attributes, IFLA_LINK_NETNSID),
    peerIndex: findU32(attributes, IFLA_LINK) || undefined,
    alias: findString(attributes, IFLA_IFALIAS) || undefined,
  };
}

function parseLinks(messages: readonly RtMessage[]): Link[] {
  return messages
    .filter((m) => m.type === RTM_NEWLINK)
    .map((m) => parseLink(m.body))
    .filter((l): l is Link => l !== undefined);
}

function describeRef(ref: LinkRef): string {
  if (typeof ref === 'number') return `link #${ref}`;
  return typeof ref === 'string' ? ref : ref.name;
}

/** The link `request` asks for; undefined when the kernel says there is none. */
function lookUp(socket: RtSocket, operation: string, request: RtRequest): Link | undefined {
  try {
    return parseLinks(socket.exchange(operation, request))[0];
  } catch (e) {
    if (isRtnlNotFound(e)) return undefined;
    throw e;
  }
}

/** The link called `name`, or undefined; at once (see the top of the file). */
export function readLink(socket: RtSocket, name: string): Link | undefined {
  validateLinkName(name, `get link ${name}`);
  return lookUp(socket, `get link ${name}`, getLinkRequest(name));
}

export async function getLink(socket: RtSocket, name: string): Promise<Link | undefined> {
  return readLink(socket, name);
}

export async function getLinkByIndex(socket: RtSocket, index: number): Promise<Link | undefined> {
  return lookUp(socket, `get link #${index}`, getLinkRequest(index));
}

/** Every link, or those `filter` asks for; at once (see the top of the file). */
export function readLinks(socket: RtSocket, filter: LinkFilter = {}): Link[] {
  const operation = filter.master === undefined ? 'list links' : `list the ports of link #${filter.master}`;
  // Older kernels ignore the master of a dump request: the filter is applied here too.
  return parseLinks(socket.exchange(operation, listLinksRequest(filter))).filter(
    (link) => filter.master === undefined || link.master === filter.master,
  );
}

export async function listLinks(socket: RtSocket, filter: LinkFilter = {}): Promise<Link[]> {
  return readLinks(socket, filter);
}

/** The index of `ref`; a name costs one lookup and must exist. */
export async function resolveIndex(socket: RtSocket, ref: LinkRef): Promise<number> {
  if (typeof ref === 'number') return ref;
  if (typeof ref !== 'string') return ref.index;
  const link = await getLink(socket, ref);
  if (!link) throw notFound(`find link ${ref}`, `link ${ref}`);
  return link.index;
}

/** Send a create request for the link `name` and read the new link back. */
export async function createLink(socket: RtSocket, operation: string, name: string, request: RtRequest): Promise<Link> {
  socket.exchange(operation, request);
  const link = await getLink(socket, name);
  if (!link) throw notFound(operation, `link ${name} right after creating it`);
  return link;
}

/** A new bridge (down); EEXIST when the name is taken. */
export async function createBridge(socket: RtSocket, name: string, options: BridgeOptions = {}): Promise<Link> {
  return createLink(socket, `create bridge ${name}`, name, bridgeRequest(name, options));
}

/** A new veth pair (both ends down); returns the end in this namespace. */
export async function createVeth(socket: RtSocket, options: VethOptions): Promise<Link> {
  const { alias, ...rest } = options;
  if (alias !== undefined) validateAlias(alias, `create veth ${options.name}`);
  const link = await createLink(socket, `create veth ${options.name}`, options.name, vethRequest(rest));
  if (alias === undefined) return link;
  // The kernel ignores IFLA_IFALIAS in a create request; only a change of the link sets it.
  socket.exchange(`set alias of ${options.name}`, setLinkRequest(link.index, [stringAttribute(IFLA_IFALIAS, alias)]));
  return { ...link, alias };
}

async function change(socket: RtSocket, ref: LinkRef, operation: string, attributes: readonly Buffer[], flags?: FlagChange): Promise<void> {
  socket.exchange(operation, setLinkRequest(await resolveIndex(socket, ref), attributes, flags));
}

export function setUp(socket: RtSocket, ref: LinkRef): Promise<void> {
  return change(socket, ref, `set ${describeRef(ref)} up`, [], { flags: IFF_UP, change: IFF_UP });
}

/** Enslave `ref` to `master` (a bridge), or release it when `master` is undefined. */
export async function setMaster(socket: RtSocket, ref: LinkRef, master: LinkRef | undefined): Promise<void> {
  const masterIndex = master === undefined ? 0 : await resolveIndex(socket, master);
  const operation = master === undefined ? `release ${describeRef(ref)}` : `attach ${describeRef(ref)} to ${describeRef(master)}`;
  return change(socket, ref, operation, [u32Attribute(IFLA_MASTER, masterIndex)]);
}

/** Hairpin mode of a bridge port (the port must already be attached). */
export async function setHairpin(socket: RtSocket, ref: LinkRef, on: boolean): Promise<void> {
  const operation = `set hairpin ${on ? 'on' : 'off'} on ${describeRef(ref)}`;
  socket.exchange(operation, hairpinRequest(await resolveIndex(socket, ref), on));
}

/** Delete a link (a veth takes its peer with it); isRtnlNotFound when it is not there. */
export async function deleteLink(socket: RtSocket, ref: LinkRef): Promise<void> {
  const operation = `delete ${describeRef(ref)}`;
  if (typeof ref === 'string') validateLinkName(ref, operation);
  socket.exchange(operation, deleteLinkRequest(typeof ref === 'object' ? ref.index : ref));
}

/** deleteLink that treats "not there" as done; true when something was deleted. */
export async function deleteLinkIfExists(socket: RtSocket, ref: LinkRef): Promise<boolean> {
  try {
    await deleteLink(socket, ref);
    return true;
  } catch (e) {
    if (isRtnlNotFound(e)) return false;
    throw e;
  }
}
