// Routes in a routing table (main unless told): add (with gateway, device, metric, MTU,
// source), list, delete. A destination is a prefix or `default`; a default route takes its
// family from the gateway, or from `family` when it has none.

import type { rt } from 'netlink';
import { readU32, writeU32 } from './attributes.js';
import { invalidArgument, request } from './errors.js';
import { addressFamily, formatIp, ipFamilyOf, networkOf, parseCidr, parseIp, type IpFamily, type IpPrefix } from './ip.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, requestOptions, type RtSocket } from './socket.js';

export const RT_TABLE_MAIN = 254;
const RT_TABLE_UNSPEC = 0;
const RTPROT_BOOT = 3; // what `ip route add` uses
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;

export const routeScopes = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
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

export interface RouteRequest {
  readonly data: rt.Route;
  readonly attrs: rt.RouteAttrs;
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  writeU32(out, value, 0);
  return out;
}

interface Endpoints {
  family: IpFamily;
  dst: IpPrefix | undefined;
  gw: Buffer | undefined;
}

function endpoints(spec: RouteSpec, operation: string): Endpoints {
  const gw = spec.gw === undefined ? undefined : parseIp(spec.gw);
  const dst = spec.dst === 'default' ? undefined : networkOf(parseCidr(spec.dst));
  const family = dst?.family ?? gw?.family ?? spec.family;
  if (family === undefined) throw invalidArgument(operation, 'a default route needs a gateway or a family');
  if ((dst && dst.family !== family) || (gw && gw.family !== family) || (spec.family && spec.family !== family)) {
    throw invalidArgument(operation, 'destination, gateway and family disagree');
  }
  // `0.0.0.0/0` is the default route too: it is sent without RTA_DST, as `ip` does.
  return { family, dst: dst && dst.prefixLength > 0 ? dst : undefined, gw: gw?.bytes };
}

function metrics(spec: RouteSpec): rt.RouteMetrics | undefined {
  if (spec.mtu === undefined && spec.advmss === undefined) return undefined;
  return {
    ...(spec.mtu === undefined ? {} : { mtu: u32(spec.mtu) }),
    ...(spec.advmss === undefined ? {} : { advmss: u32(spec.advmss) }),
  };
}

export function describeRoute(spec: RouteSpec): string {
  const via = spec.gw === undefined ? '' : ` via ${spec.gw}`;
  const dev = spec.dev === undefined ? '' : ` dev #${spec.dev}`;
  return `route ${spec.dst}${via}${dev}`;
}

/** What the socket sends for `spec`; for deletion, scope/protocol/type match anything. */
export function routeRequest(spec: RouteSpec, forDelete = false): RouteRequest {
  const operation = describeRoute(spec);
  const { family, dst, gw } = endpoints(spec, operation);
  const table = spec.table ?? RT_TABLE_MAIN;
  const scope = spec.scope ?? (gw === undefined ? 'link' : 'universe');
  const data: rt.Route = {
    family: addressFamily(family),
    dstLen: dst?.prefixLength ?? 0,
    srcLen: 0,
    tos: 0,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    // The package types these as enums; it sends numbers unchanged.
    protocol: (forDelete ? 0 : RTPROT_BOOT) as rt.RouteProtocol,
    scope: (forDelete ? routeScopes.nowhere : routeScopes[scope]) as rt.RouteScope,
    type: (forDelete ? 0 : RTN_UNICAST) as rt.RouteType,
    ...(spec.onlink ? { flags: { __unknown: RTNH_F_ONLINK } } : {}),
  };
  const attrs: rt.RouteAttrs = { table };
  if (dst) attrs.dst = dst.bytes;
  if (gw) attrs.gateway = gw;
  if (spec.dev !== undefined) attrs.oif = spec.dev;
  if (spec.metric !== undefined) attrs.priority = spec.metric;
  if (spec.src !== undefined) attrs.prefsrc = parseIp(spec.src).bytes;
  const routeMetrics = forDelete ? undefined : metrics(spec);
  if (routeMetrics) attrs.metrics = routeMetrics;
  return { data, attrs };
}

// The package reports known enum values by their C name (`BOOT`) and unknown ones as numbers.
function enumName(value: string | number | undefined): string | number {
  return typeof value === 'string' ? value.toLowerCase() : (value ?? 0);
}

function scopeName(value: string | number | undefined): RouteScope | number {
  const name = enumName(value);
  if (typeof name === 'number') return name;
  return name in routeScopes ? (name as RouteScope) : routeScopes.universe;
}

export function parseRoute(message: { data: rt.Route; attrs: rt.RouteAttrs }): Route | undefined {
  const { data, attrs } = message;
  const family = ipFamilyOf(data.family);
  if (family === undefined) return undefined;
  const dstLength = data.dstLen ?? 0;
  const dst = attrs.dst ? formatIp(attrs.dst) : family === 4 ? '0.0.0.0' : '::';
  return {
    family,
    dst: `${dst}/${dstLength}`,
    gw: attrs.gateway && formatIp(attrs.gateway),
    dev: attrs.oif,
    table: attrs.table ?? data.table ?? RT_TABLE_UNSPEC,
    metric: attrs.priority,
    scope: scopeName(data.scope),
    protocol: enumName(data.protocol),
    type: enumName(data.type),
    src: attrs.prefsrc && formatIp(attrs.prefsrc),
    mtu: attrs.metrics?.mtu && readU32(attrs.metrics.mtu),
  };
}

export async function addRoute(socket: RtSocket, spec: RouteSpec): Promise<void> {
  const built = routeRequest(spec);
  const flags = NLM_F_CREATE | (spec.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  await request(`add ${describeRoute(spec)}`, () => socket.newRoute(built.data, built.attrs, requestOptions(flags)));
}

export async function listRoutes(socket: RtSocket, filter: RouteFilter = {}): Promise<Route[]> {
  const query: rt.Route = filter.family === undefined ? {} : { family: addressFamily(filter.family) };
  const messages = await request('list routes', () => socket.getRoutes(query, {}, requestOptions()));
  const table = filter.table ?? RT_TABLE_MAIN;
  return messages
    .map(parseRoute)
    .filter((r): r is Route => r !== undefined)
    .filter(
      (r) =>
        (table === 'all' || r.table === table) &&
        (filter.dev === undefined || r.dev === filter.dev) &&
        (filter.family === undefined || r.family === filter.family),
    );
}

/** Delete the route matching `spec`; isNotFound (ESRCH) when there is none. */
export async function deleteRoute(socket: RtSocket, spec: RouteSpec): Promise<void> {
  const built = routeRequest(spec, true);
  await request(`delete ${describeRoute(spec)}`, () => socket.delRoute(built.data, built.attrs, requestOptions()));
}
