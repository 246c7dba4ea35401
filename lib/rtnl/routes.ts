// Routes in a routing table (main unless told): add (with gateway, device, metric, MTU,
// source), list, delete. A destination is a prefix or `default`; a default route takes its
// family from the gateway, or from `family` when it has none. Requests are struct rtmsg and
// RTA_* attributes.

import { type Address, afOf, familyOfAf, type IpFamily, type Subnet, subnetOf } from '../ip/index.js';
import {
  addressAttribute,
  decodeAttributes,
  findAddress,
  findAttribute,
  findU32,
  nestedAttribute,
  readU32,
  u32Attribute,
  writeU32,
} from './attributes.js';
import { addressArgument, cidrArgument, invalidArgument } from './errors.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, type RtMessage, type RtRequest } from './netlink.js';
import type { RtSocket } from './socket.js';

// linux/rtnetlink.h
export const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_GETROUTE = 26;
export const RT_TABLE_MAIN = 254;
const RT_TABLE_UNSPEC = 0;
const RTPROT_BOOT = 3; // what `ip route add` uses
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_METRICS = 8;
const RTA_TABLE = 15;
const RTAX_MTU = 2;
const RTAX_ADVMSS = 8;
const ROUTE_HEADER_LENGTH = 12;

// Names as `ip route` prints them, for the values we meet; others stay numbers.
const protocolNames: Readonly<Record<number, string>> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  9: 'ra',
  16: 'dhcp',
};
// RTN_* in order.
const typeNames = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];

const routeScopes = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export type RouteScope = keyof typeof routeScopes;

export interface RouteSpec {
  /** A prefix (`10.1.0.0/16`, host bits are cleared) or `default`. */
  dst: string;
  gw?: string;
  /** Output link index. */
  dev?: number;
  /** Needed only for a default route without gateway. */
  family?: IpFamily;
  table?: number;
  /** Priority; lower wins. */
  metric?: number;
  /** Default: `universe` with a gateway, `link` without. */
  scope?: RouteScope;
  /** Preferred source address. */
  src?: string;
  mtu?: number;
  advmss?: number;
  /** The gateway is reachable on `dev` even without a matching prefix. */
  onlink?: boolean;
  /** Replace an existing route to the same destination instead of failing with EEXIST. */
  replace?: boolean;
}

export interface Route {
  readonly family: IpFamily;
  /** Always a prefix; a default route is `0.0.0.0/0` or `::/0`. */
  readonly dst: string;
  readonly gw: string | undefined;
  readonly dev: number | undefined;
  readonly table: number;
  readonly metric: number | undefined;
  /** A name when the scope has one, else its number. */
  readonly scope: RouteScope | number;
  /** `boot`, `kernel`, `static`, `dhcp`, ... or a number. */
  readonly protocol: string | number;
  /** `unicast`, `local`, `blackhole`, ... or a number. */
  readonly type: string | number;
  readonly src: string | undefined;
  readonly mtu: number | undefined;
}

export interface RouteFilter {
  dev?: number;
  family?: IpFamily;
  /** A table id, or `all`; default main. */
  table?: number | 'all';
}

/** struct rtmsg. */
export interface RouteHeader {
  /** AF_INET, AF_INET6 */
  readonly family: number;
  readonly dstLength: number;
  readonly srcLength: number;
  readonly tos: number;
  /** RT_TABLE_UNSPEC when the table id does not fit 8 bits (RTA_TABLE carries it). */
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  /** RTNH_F_*, RTM_F_* */
  readonly flags: number;
}

const headerBytes = ['family', 'dstLength', 'srcLength', 'tos', 'table', 'protocol', 'scope', 'type'] as const;

export function routeHeader(header: RouteHeader): Buffer {
  const out = Buffer.alloc(ROUTE_HEADER_LENGTH);
  headerBytes.forEach((field, offset) => out.writeUInt8(header[field], offset));
  writeU32(out, header.flags, 8);
  return out;
}

export function decodeRouteHeader(body: Buffer): RouteHeader | undefined {
  if (body.length < ROUTE_HEADER_LENGTH) return undefined;
  const header = Object.fromEntries(headerBytes.map((field, offset) => [field, body.readUInt8(offset)]));
  return { ...(header as Omit<RouteHeader, 'flags'>), flags: readU32(body, 8) };
}

interface Endpoints {
  family: IpFamily;
  dst: Subnet | undefined;
  gw: Address | undefined;
}

function endpoints(spec: RouteSpec, operation: string): Endpoints {
  const gw = spec.gw === undefined ? undefined : addressArgument(operation, spec.gw);
  const dst = spec.dst === 'default' ? undefined : subnetOf(cidrArgument(operation, spec.dst));
  const family = dst?.network.family ?? gw?.family ?? spec.family;
  if (family === undefined) throw invalidArgument(operation, 'a default route needs a gateway or a family');
  if ((dst && dst.network.family !== family) || (gw && gw.family !== family) || (spec.family && spec.family !== family)) {
    throw invalidArgument(operation, 'destination, gateway and family disagree');
  }
  // `0.0.0.0/0` is the default route too: it is sent without RTA_DST, as `ip` does.
  return { family, dst: dst && dst.prefix > 0 ? dst : undefined, gw };
}

function metrics(spec: RouteSpec): Buffer[] {
  const values = [
    ...(spec.mtu === undefined ? [] : [u32Attribute(RTAX_MTU, spec.mtu)]),
    ...(spec.advmss === undefined ? [] : [u32Attribute(RTAX_ADVMSS, spec.advmss)]),
  ];
  return values.length === 0 ? [] : [nestedAttribute(RTA_METRICS, values)];
}

function describeRoute(spec: RouteSpec): string {
  const via = spec.gw === undefined ? '' : ` via ${spec.gw}`;
  const dev = spec.dev === undefined ? '' : ` dev #${spec.dev}`;
  return `route ${spec.dst}${via}${dev}`;
}

/** A route request, laid out as `ip route` lays it out; for deletion scope/protocol/type match anything. */
function routeRequest(type: number, flags: number, spec: RouteSpec): RtRequest {
  const forDelete = type === RTM_DELROUTE;
  const operation = describeRoute(spec);
  const { family, dst, gw } = endpoints(spec, operation);
  const table = spec.table ?? RT_TABLE_MAIN;
  const scope = spec.scope ?? (gw === undefined ? 'link' : 'universe');
  const header = routeHeader({
    family: afOf(family),
    dstLength: dst?.prefix ?? 0,
    srcLength: 0,
    tos: 0,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol: forDelete ? 0 : RTPROT_BOOT,
    scope: forDelete ? routeScopes.nowhere : routeScopes[scope],
    type: forDelete ? 0 : RTN_UNICAST,
    flags: spec.onlink ? RTNH_F_ONLINK : 0,
  });
  const attributes = [
    ...(table < 256 ? [] : [u32Attribute(RTA_TABLE, table)]),
    ...(dst ? [addressAttribute(RTA_DST, dst.network)] : []),
    ...(gw ? [addressAttribute(RTA_GATEWAY, gw)] : []),
    ...(spec.metric === undefined ? [] : [u32Attribute(RTA_PRIORITY, spec.metric)]),
    ...(spec.src === undefined ? [] : [addressAttribute(RTA_PREFSRC, addressArgument(operation, spec.src))]),
    ...(spec.dev === undefined ? [] : [u32Attribute(RTA_OIF, spec.dev)]),
    ...(forDelete ? [] : metrics(spec)),
  ];
  return { type, flags, body: Buffer.concat([header, ...attributes]) };
}

export function addRouteRequest(spec: RouteSpec): RtRequest {
  return routeRequest(RTM_NEWROUTE, NLM_F_CREATE | (spec.replace ? NLM_F_REPLACE : NLM_F_EXCL), spec);
}

export function deleteRouteRequest(spec: RouteSpec): RtRequest {
  return routeRequest(RTM_DELROUTE, 0, spec);
}

/** A dump of every table's routes, or of one family's. */
function listRoutesRequest(family?: IpFamily): RtRequest {
  const anything = { dstLength: 0, srcLength: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 };
  const header = routeHeader({ ...anything, family: family === undefined ? 0 : afOf(family) });
  return { type: RTM_GETROUTE, flags: NLM_F_DUMP, body: header };
}

function scopeName(value: number): RouteScope | number {
  const name = (Object.keys(routeScopes) as RouteScope[]).find((key) => routeScopes[key] === value);
  return name ?? value;
}

function routeMtu(metricsData: Buffer | undefined): number | undefined {
  return metricsData && findU32(decodeAttributes(metricsData), RTAX_MTU);
}

/** A route message (RTM_NEWROUTE) as a Route; undefined for families other than IP. */
export function parseRoute(body: Buffer): Route | undefined {
  const header = decodeRouteHeader(body);
  const family = familyOfAf(header?.family);
  if (header === undefined || family === undefined) return undefined;
  const attributes = decodeAttributes(body.subarray(ROUTE_HEADER_LENGTH));
  const dst = findAddress(attributes, RTA_DST) ?? (family === 4 ? '0.0.0.0' : '::');
  return {
    family,
    dst: `${dst}/${header.dstLength}`,
    gw: findAddress(attributes, RTA_GATEWAY),
    dev: findU32(attributes, RTA_OIF),
    table: findU32(attributes, RTA_TABLE) ?? header.table,
    metric: findU32(attributes, RTA_PRIORITY),
    scope: scopeName(header.scope),
    protocol: protocolNames[header.protocol] ?? header.protocol,
    type: typeNames[header.type] ?? header.type,
    src: findAddress(attributes, RTA_PREFSRC),
    mtu: routeMtu(findAttribute(attributes, RTA_METRICS)),
  };
}

function parseRoutes(messages: readonly RtMessage[]): Route[] {
  return messages
    .filter((m) => m.type === RTM_NEWROUTE)
    .map((m) => parseRoute(m.body))
    .filter((r): r is Route => r !== undefined);
}

export async function addRoute(socket: RtSocket, spec: RouteSpec): Promise<void> {
  socket.exchange(`add ${describeRoute(spec)}`, addRouteRequest(spec));
}

export async function listRoutes(socket: RtSocket, filter: RouteFilter = {}): Promise<Route[]> {
  const table = filter.table ?? RT_TABLE_MAIN;
  const routes = parseRoutes(socket.exchange('list routes', listRoutesRequest(filter.family)));
  return routes.filter(
    (r) =>
      (table === 'all' || r.table === table) &&
      (filter.dev === undefined || r.dev === filter.dev) &&
      (filter.family === undefined || r.family === filter.family),
  );
}

/** Delete the route matching `spec`; isRtnlNotFound (ESRCH) when there is none. */
export async function deleteRoute(socket: RtSocket, spec: RouteSpec): Promise<void> {
  socket.exchange(`delete ${describeRoute(spec)}`, deleteRouteRequest(spec));
}
