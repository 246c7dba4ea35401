// Results on the wire, in every supported version, converted both ways like libcni:
// 0.3.x/0.4.0 carry `ips[].version`; 1.1.0 adds route mtu/advmss/priority/table/scope and
// interface mtu/socketPath/pciID, which older versions cannot express and so drop.
import * as z from 'zod/mini';
import { familyOf, isCidr, parseAddress } from '../ip/index.js';
import { CniError, ErrorCode } from './errors.js';
import { parseOrThrow } from './schema.js';
import type { Interface, IPConfig, Result, Route } from './types.js';
import { compareVersions, isLegacyResultVersion, isSupportedVersion, SUPPORTED_VERSIONS } from './version.js';

const cidr = z.string().check(z.refine(isCidr, 'expected an address in CIDR notation'));
const ip = z.string().check(z.refine((s) => parseAddress(s) !== undefined, 'expected an IP address'));
const uint = z.number().check(z.int(), z.nonnegative());

const wireInterface = z.looseObject({
  name: z.string(),
  mac: z.optional(z.string()),
  mtu: z.optional(uint),
  sandbox: z.optional(z.string()),
  socketPath: z.optional(z.string()),
  pciID: z.optional(z.string()),
});

const wireIP = z.looseObject({
  version: z.optional(z.enum(['4', '6'])),
  address: cidr,
  gateway: z.optional(ip),
  interface: z.optional(uint),
});

const wireRoute = z.looseObject({
  dst: cidr,
  gw: z.optional(ip),
  mtu: z.optional(uint),
  advmss: z.optional(uint),
  priority: z.optional(uint),
  table: z.optional(uint),
  scope: z.optional(uint),
});

const wireDNS = z.looseObject({
  nameservers: z.optional(z.array(z.string())),
  domain: z.optional(z.string()),
  search: z.optional(z.array(z.string())),
  options: z.optional(z.array(z.string())),
});

const wireResult = z.looseObject({
  cniVersion: z.string(),
  interfaces: z.optional(z.nullable(z.array(wireInterface))),
  ips: z.optional(z.nullable(z.array(wireIP))),
  routes: z.optional(z.nullable(z.array(wireRoute))),
  dns: z.optional(z.nullable(wireDNS)),
});

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** `ips[].version` of a 0.3.x/0.4.0 result. */
function versionOf(address: string): '4' | '6' {
  return familyOf(address) === 6 ? '6' : '4';
}

/**
 * Parse a result of any supported version into the internal (1.1.0) model.
 * `fallbackVersion` is used when the object has no `cniVersion` (a prevResult may omit it).
 */
export function parseResult(value: unknown, fallbackVersion?: string): Result {
  const withVersion =
    value && typeof value === 'object' && !('cniVersion' in value) && fallbackVersion ? { ...value, cniVersion: fallbackVersion } : value;
  const wire = parseOrThrow(wireResult, withVersion, ErrorCode.DecodingFailure, 'CNI result');
  if (!isSupportedVersion(wire.cniVersion)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `unsupported CNI result version "${wire.cniVersion}"`,
      `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  const interfaceCount = wire.interfaces?.length ?? 0;
  const result: Result = { cniVersion: wire.cniVersion };
  if (wire.interfaces) result.interfaces = wire.interfaces.map(toInterface);
  if (wire.ips) {
    result.ips = wire.ips.map((w, i) => {
      if (w.version && w.version !== versionOf(w.address)) {
        throw new CniError(ErrorCode.DecodingFailure, `ips[${i}]: version ${w.version} does not match address ${w.address}`);
      }
      if (w.interface !== undefined && w.interface >= interfaceCount) {
        throw new CniError(ErrorCode.DecodingFailure, `ips[${i}]: interface index ${w.interface} out of range`);
      }
      return compact<IPConfig>({ address: w.address, gateway: w.gateway, interface: w.interface });
    });
  }
  if (wire.routes) result.routes = wire.routes.map(toRoute);
  if (wire.dns) result.dns = compact({ ...wire.dns });
  return result;
}

function toInterface(w: z.output<typeof wireInterface>): Interface {
  return compact<Interface>({
    name: w.name,
    mac: w.mac,
    mtu: w.mtu,
    sandbox: w.sandbox,
    socketPath: w.socketPath,
    pciID: w.pciID,
  });
}

function toRoute(w: z.output<typeof wireRoute>): Route {
  return compact<Route>({
    dst: w.dst,
    gw: w.gw,
    mtu: w.mtu,
    advmss: w.advmss,
    priority: w.priority,
    table: w.table,
    scope: w.scope,
  });
}

/** Render the internal result as the wire object of `version` (fields the version lacks are dropped). */
export function convertResult(result: Result, version: string): Record<string, unknown> {
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `cannot convert result to unsupported version "${version}"`,
      `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  const legacy = isLegacyResultVersion(version);
  const has11 = compareVersions(version, '1.1.0') >= 0;
  const out: Record<string, unknown> = { cniVersion: version };
  if (result.interfaces) {
    out.interfaces = result.interfaces.map((i) =>
      compact({
        name: i.name,
        mac: i.mac,
        mtu: has11 ? i.mtu : undefined,
        sandbox: i.sandbox,
        socketPath: has11 ? i.socketPath : undefined,
        pciID: has11 ? i.pciID : undefined,
      }),
    );
  }
  if (result.ips) {
    out.ips = result.ips.map((i) =>
      compact({
        version: legacy ? versionOf(i.address) : undefined,
        interface: i.interface,
        address: i.address,
        gateway: i.gateway,
      }),
    );
  }
  if (result.routes) {
    out.routes = result.routes.map((r) => (has11 ? compact({ ...r }) : compact({ dst: r.dst, gw: r.gw })));
  }
  if (result.dns && Object.keys(result.dns).length) out.dns = { ...result.dns };
  return out;
}
