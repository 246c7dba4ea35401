// The spec's result shape, checked strictly per version (SPEC §5 "ADD Success", and the
// 0.3.x/0.4.0 shape with `ips[].version`). lib/cni/result.ts reads results leniently, as a
// runtime must; this module says everything that is off. Also a version-independent
// signature of a result, to compare what one plugin set answers at different versions.
import { familyOf, isCidr, parseAddress } from '../lib/ip/index.js';
import { isLegacyResultVersion } from '../lib/cni/version.js';

type Json = Record<string, unknown>;

const MAC = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUint(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** `ips[].version` for an address in CIDR notation. */
function versionOf(cidr: string): '4' | '6' | undefined {
  const family = familyOf(cidr);
  return family === undefined ? undefined : `${family}`;
}

function checkArrayOf(value: unknown, where: string, problems: string[], each: (item: Json, where: string) => void): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    problems.push(`${where} is not an array`);
    return;
  }
  value.forEach((item, i) => {
    if (!isObject(item)) problems.push(`${where}[${i}] is not an object`);
    else each(item, `${where}[${i}]`);
  });
}

function checkOptional(item: Json, key: string, where: string, ok: (v: unknown) => boolean, expected: string, problems: string[]): void {
  if (item[key] !== undefined && !ok(item[key])) problems.push(`${where}.${key} is not ${expected}: ${JSON.stringify(item[key])}`);
}

const isString = (v: unknown) => typeof v === 'string';
const isStringArray = (v: unknown) => Array.isArray(v) && v.every(isString);
const isAddress = (v: unknown) => typeof v === 'string' && parseAddress(v) !== undefined;

function checkInterfaces(result: Json, problems: string[]): void {
  checkArrayOf(result.interfaces, 'interfaces', problems, (item, where) => {
    if (typeof item.name !== 'string' || item.name === '') problems.push(`${where}.name is missing`);
    checkOptional(item, 'mac', where, (v) => typeof v === 'string' && (v === '' || MAC.test(v)), 'a MAC address', problems);
    checkOptional(item, 'sandbox', where, isString, 'a string', problems);
    checkOptional(item, 'mtu', where, isUint, 'an unsigned integer', problems);
    checkOptional(item, 'socketPath', where, isString, 'a string', problems);
    checkOptional(item, 'pciID', where, isString, 'a string', problems);
  });
}

function checkIps(result: Json, version: string, problems: string[]): void {
  const interfaceCount = Array.isArray(result.interfaces) ? result.interfaces.length : 0;
  const legacy = isLegacyResultVersion(version);
  checkArrayOf(result.ips, 'ips', problems, (item, where) => {
    const address = item.address;
    if (typeof address !== 'string' || !isCidr(address)) {
      problems.push(`${where}.address is not an address in CIDR notation: ${JSON.stringify(address)}`);
      return;
    }
    checkOptional(item, 'gateway', where, isAddress, 'an IP address', problems);
    if (item.gateway !== undefined && isAddress(item.gateway) && familyOf(item.gateway as string) !== familyOf(address)) {
      problems.push(`${where}.gateway ${String(item.gateway)} is not of the family of ${address}`);
    }
    if (item.interface !== undefined) {
      if (!isUint(item.interface)) problems.push(`${where}.interface is not an unsigned integer`);
      else if ((item.interface as number) >= interfaceCount)
        problems.push(`${where}.interface ${String(item.interface)} is out of range (${interfaceCount} interfaces)`);
    }
    if (legacy && item.version !== versionOf(address)) {
      problems.push(`${where}.version must be "${versionOf(address)}" in a ${version} result, found ${JSON.stringify(item.version)}`);
    }
  });
}

function checkRoutes(result: Json, problems: string[]): void {
  checkArrayOf(result.routes, 'routes', problems, (item, where) => {
    if (typeof item.dst !== 'string' || !isCidr(item.dst))
      problems.push(`${where}.dst is not in CIDR notation: ${JSON.stringify(item.dst)}`);
    checkOptional(item, 'gw', where, isAddress, 'an IP address', problems);
    for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'])
      checkOptional(item, key, where, isUint, 'an unsigned integer', problems);
  });
}

function checkDns(result: Json, problems: string[]): void {
  const dns = result.dns;
  if (dns === undefined || dns === null) return;
  if (!isObject(dns)) {
    problems.push('dns is not an object');
    return;
  }
  checkOptional(dns, 'nameservers', 'dns', (v) => Array.isArray(v) && v.every(isAddress), 'a list of IP addresses', problems);
  checkOptional(dns, 'domain', 'dns', isString, 'a string', problems);
  checkOptional(dns, 'search', 'dns', isStringArray, 'a list of strings', problems);
  checkOptional(dns, 'options', 'dns', isStringArray, 'a list of strings', problems);
}

/** Everything that keeps `value` from being an ADD result of `version`; empty when it is one. */
export function resultShapeProblems(value: unknown, version: string): string[] {
  if (!isObject(value)) return ['the result is not a JSON object'];
  const problems: string[] = [];
  if (value.cniVersion !== version) problems.push(`cniVersion is ${JSON.stringify(value.cniVersion)}, the request said "${version}"`);
  checkInterfaces(value, problems);
  checkIps(value, version, problems);
  checkRoutes(value, problems);
  checkDns(value, problems);
  return problems;
}

/** The container interface of a result: the one named `ifname` with `sandbox` set, or named `ifname`. */
export function containerInterfaceIndex(value: unknown, ifname: string): number | undefined {
  if (!isObject(value) || !Array.isArray(value.interfaces)) return undefined;
  const interfaces = value.interfaces as Json[];
  const inSandbox = interfaces.findIndex((i) => i.name === ifname && typeof i.sandbox === 'string' && i.sandbox !== '');
  if (inSandbox >= 0) return inSandbox;
  const byName = interfaces.findIndex((i) => i.name === ifname);
  return byName >= 0 ? byName : undefined;
}

/** Addresses (CIDR) the result assigns to interface `index`. */
export function addressesOf(value: unknown, index: number | undefined): string[] {
  if (!isObject(value) || !Array.isArray(value.ips)) return [];
  return (value.ips as Json[]).filter((ip) => index === undefined || ip.interface === index).map((ip) => String(ip.address));
}

/**
 * What a result says, without the values that differ between attachments (names of host
 * interfaces, addresses, MACs): which interfaces are in a sandbox, which is the container's,
 * each IP's family, prefix, interface and whether it has a gateway, the routes' destinations.
 */
export function resultSignature(value: unknown, ifname: string): string[] {
  if (!isObject(value)) return ['not an object'];
  const interfaces = Array.isArray(value.interfaces) ? (value.interfaces as Json[]) : [];
  const lines = interfaces.map(
    (i, n) => `interface ${n}: ${i.name === ifname ? 'CNI_IFNAME' : 'other'}${i.sandbox ? ' in sandbox' : ''}${i.mac ? ' with mac' : ''}`,
  );
  for (const ip of Array.isArray(value.ips) ? (value.ips as Json[]) : []) {
    const address = String(ip.address);
    lines.push(`ip v${familyOf(address) ?? '?'}/${address.split('/')[1]} on ${ip.interface ?? '-'}${ip.gateway ? ' with gateway' : ''}`);
  }
  for (const route of Array.isArray(value.routes) ? (value.routes as Json[]) : []) {
    lines.push(`route ${String(route.dst)}${route.gw ? ' via gw' : ''}`);
  }
  if (isObject(value.dns)) for (const key of Object.keys(value.dns).sort()) lines.push(`dns ${key}`);
  return lines;
}
