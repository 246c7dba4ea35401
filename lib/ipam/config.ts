// The `ipam` section, read as host-local reads it: range sets from runtimeConfig.ipRanges,
// the legacy single range (subnet/rangeStart/rangeEnd/gateway in `ipam`) and `ranges`, in that
// order (the order fixes each set's index, and so its last_reserved_ip.<index> file);
// requested addresses from CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips.
import * as z from 'zod/mini';
import type { CniArgs } from '../cni/args.js';
import type { NetConf } from '../cni/config.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import { configPathProblem } from '../cni/paths.js';
import { parseOrThrow } from '../cni/schema.js';
import type { Route } from '../cni/types.js';
import { type Address, formatAddress, parseAddress, parseAddressOrCidr, parseCidr, sameAddress } from '../ip/index.js';
import { networkNameProblem } from '../names/index.js';
import { invalidConfig } from './errors.js';
import { checkRangeSetsDisjoint, parseRangeSet, rangeFor, type RangeConfig, type RangeSet } from './range.js';
import { DEFAULT_DATA_DIR, storeDir } from './store.js';

/** Where the network's allocations live: all DEL, GC and STATUS need. */
export interface IpamStoreConfig {
  network: string;
  /** <dataDir>/<network> */
  dir: string;
}

export interface IpamConfig extends IpamStoreConfig {
  rangeSets: RangeSet[];
  /** The requested address for each range set (same index), if any. */
  requested: (Address | undefined)[];
  routes: Route[];
  resolvConf?: string;
}

const optional = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));

// Built on first use: a plugin start that only answers VERSION does not pay for them.
export function buildSchemas() {
  const uint = z.number().check(z.int(), z.nonnegative());
  const range = z.looseObject({
    subnet: z.string(),
    rangeStart: optional(z.string()),
    rangeEnd: optional(z.string()),
    gateway: optional(z.string()),
  });
  const rangeSets = z.array(z.array(range));
  const route = z.looseObject({
    dst: z.string().check(z.refine((s) => parseCidr(s) !== undefined, 'expected a destination in CIDR notation')),
    gw: optional(z.string().check(z.refine((s) => parseAddress(s) !== undefined, 'expected an IP address'))),
    mtu: optional(uint),
    advmss: optional(uint),
    priority: optional(uint),
    table: optional(uint),
    scope: optional(uint),
  });
  const ipam = z.looseObject({
    subnet: optional(z.string()),
    rangeStart: optional(z.string()),
    rangeEnd: optional(z.string()),
    gateway: optional(z.string()),
    ranges: optional(rangeSets),
    routes: optional(z.array(route)),
    dataDir: optional(z.string()),
    resolvConf: optional(z.string()),
  });
  const runtimeConfig = z.looseObject({
    ips: optional(z.array(z.string())),
    ipRanges: optional(rangeSets),
  });
  const store = z.looseObject({ dataDir: optional(z.string()) });
  return { ipam, runtimeConfig, store };
}

type Schemas = ReturnType<typeof buildSchemas>;
let builtSchemas: Schemas | undefined;
const schemas = (): Schemas => (builtSchemas ??= buildSchemas());

type IpamSection = z.output<Schemas['ipam']>;
type RangeSection = NonNullable<IpamSection['ranges']>[number][number];
type RouteSection = NonNullable<IpamSection['routes']>[number];

/** The store location only: DEL, GC and STATUS work even when the ranges no longer parse. */
export function loadStoreConfig(conf: NetConf): IpamStoreConfig {
  if (!conf.ipam) throw invalidConfig('IPAM config missing "ipam" key');
  return storeConfigOf(conf, parseOrThrow(schemas().store, conf.ipam, ErrorCode.InvalidNetworkConfig, 'ipam configuration'));
}

export function loadIpamConfig(conf: NetConf, args?: CniArgs): IpamConfig {
  const ipam = readIpamSection(conf);
  const store = storeConfigOf(conf, ipam);
  const runtime = parseOrThrow(schemas().runtimeConfig, conf.runtimeConfig ?? {}, ErrorCode.InvalidNetworkConfig, 'runtimeConfig');
  const rangeSets = collectRangeSets(ipam, runtime.ipRanges ?? []);
  const requested = assignRequested(rangeSets, collectRequested(conf, runtime.ips ?? [], args));
  const config: IpamConfig = { ...store, rangeSets, requested, routes: (ipam.routes ?? []).map(toRoute) };
  if (ipam.resolvConf) config.resolvConf = checkedPath('ipam.resolvConf', ipam.resolvConf);
  return config;
}

/** An empty value means the default, as in host-local; any other must follow the path rule. */
function checkedPath(field: string, path: string): string {
  const problem = configPathProblem(path);
  if (problem) throw invalidConfig(`${field} ${JSON.stringify(path)} is not usable`, problem);
  return path;
}

function storeConfigOf(conf: NetConf, ipam: { dataDir?: string | null | undefined }): IpamStoreConfig {
  const problem = networkNameProblem(conf.name);
  if (problem) throw invalidConfig(`network name "${conf.name}" cannot name a store directory`, problem);
  return { network: conf.name, dir: storeDir(checkedPath('ipam.dataDir', ipam.dataDir || DEFAULT_DATA_DIR), conf.name) };
}

function readIpamSection(conf: NetConf): IpamSection {
  if (!conf.ipam) throw invalidConfig('IPAM config missing "ipam" key');
  return parseOrThrow(schemas().ipam, conf.ipam, ErrorCode.InvalidNetworkConfig, 'ipam configuration');
}

function collectRangeSets(ipam: IpamSection, runtimeRanges: RangeSection[][]): RangeSet[] {
  const configs: { where: string; ranges: RangeConfig[]; legacy?: true }[] = [
    ...runtimeRanges.map((ranges, i) => ({ where: `runtimeConfig.ipRanges[${i}]`, ranges: ranges.map(withoutNulls) })),
    ...(ipam.subnet != null ? [{ where: 'ipam', ranges: [withoutNulls({ ...ipam, subnet: ipam.subnet })], legacy: true as const }] : []),
    ...(ipam.ranges ?? []).map((ranges, i) => ({ where: `ipam.ranges[${i}]`, ranges: ranges.map(withoutNulls) })),
  ];
  if (configs.length === 0) throw invalidConfig('no IP ranges specified', 'set ipam.ranges or ipam.subnet');
  const sets = configs.map(({ where, ranges, legacy }) =>
    legacy ? parseRangeSet(ranges, where, () => where) : parseRangeSet(ranges, where),
  );
  const names = configs.map(({ where }) => where);
  checkRangeSetsDisjoint(sets, names);
  return sets;
}

function withoutNulls(range: RangeSection): RangeConfig {
  const config: RangeConfig = { subnet: range.subnet };
  if (range.rangeStart) config.rangeStart = range.rangeStart;
  if (range.rangeEnd) config.rangeEnd = range.rangeEnd;
  if (range.gateway) config.gateway = range.gateway;
  return config;
}

function collectRequested(conf: NetConf, runtimeIps: string[], args: CniArgs | undefined): Address[] {
  const fromEnv = (args?.values.get('IP') ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map((text) => parseRequested(text, 'CNI_ARGS IP', ErrorCode.InvalidEnvironment));
  const fromArgs = (conf.args?.cni?.ips ?? []).map((text) => parseRequested(text, 'args.cni.ips', ErrorCode.InvalidNetworkConfig));
  const fromRuntime = runtimeIps.map((text) => parseRequested(text, 'runtimeConfig.ips', ErrorCode.InvalidNetworkConfig));
  const unique: Address[] = [];
  for (const address of [...fromEnv, ...fromArgs, ...fromRuntime]) {
    if (!unique.some((u) => sameAddress(u, address))) unique.push(address);
  }
  return unique;
}

function parseRequested(text: string, where: string, code: number): Address {
  const address = parseAddressOrCidr(text.trim());
  if (!address) throw new CniError(code, `${where}: "${text}" is not an IP address`);
  return address;
}

/** One requested address per range set at most; each must fall into one. */
function assignRequested(sets: RangeSet[], requested: Address[]): (Address | undefined)[] {
  const assigned: (Address | undefined)[] = sets.map(() => undefined);
  for (const address of requested) {
    const index = sets.findIndex((set) => rangeFor(set, address) !== undefined);
    if (index < 0) throw invalidConfig(`requested IP ${formatAddress(address)} is not in any configured range`);
    const taken = assigned[index];
    if (taken) {
      throw invalidConfig(
        `requested IPs ${formatAddress(taken)} and ${formatAddress(address)} fall into the same range set`,
        'request at most one address per range set',
      );
    }
    assigned[index] = address;
  }
  return assigned;
}

function toRoute(route: RouteSection): Route {
  const out: Route = { dst: route.dst };
  if (route.gw != null) out.gw = route.gw;
  for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const value = route[key];
    if (value != null) out[key] = value;
  }
  return out;
}

/** The gateways with their subnet's prefix ("10.89.0.1/24"), once each: the addresses a bridge needs. */
export function gatewayAddresses(config: IpamConfig): string[] {
  const all = config.rangeSets.flat().map((r) => `${formatAddress(r.gateway)}/${r.subnet.prefix}`);
  return [...new Set(all)];
}
