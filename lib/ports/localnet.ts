// Localhost exposure needs route_localnet=1 on the interface the DNATed packet leaves by (the
// zone bridge, or a ptp host veth), never on `lo`: a packet with a 127.0.0.0/8 source may not
// leave any other interface. That interface is the one the kernel routes the container's
// address through, read from /proc/net/route (the namespace of the reading process, no
// netlink needed). The guard chain (ruleset.ts) is in place before this is ever switched on.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { isNetnsError } from '../netns/errors.js';
import { interfaceSysctl, readSysctl, writeSysctl } from '../netns/sysctl.js';
import { parseAddress } from '../ip/index.js';

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

interface RouteLine {
  iface: string;
  destination: number;
  mask: number;
  metric: number;
  flags: number;
}

function hexToAddress(hex: string | undefined): number | undefined {
  if (hex === undefined || !/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  return endianness() === 'LE' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
}

function parseRouteLine(line: string): RouteLine | undefined {
  const fields = line.trim().split(/\s+/);
  const [iface, destinationHex, , flagsHex, , , metricText, maskHex] = fields;
  const destination = hexToAddress(destinationHex);
  const mask = hexToAddress(maskHex);
  if (iface === undefined || destination === undefined || mask === undefined) return undefined;
  return { iface, destination, mask, metric: Number(metricText) || 0, flags: parseInt(flagsHex ?? '0', 16) };
}

function prefixLength(mask: number): number {
  let bits = 0;
  for (let m = mask >>> 0; m !== 0; m = (m << 1) >>> 0) bits++;
  return bits;
}

/**
 * The interface of the most specific route to `address` in the main table (`/proc/net/route`
 * text), ignoring default routes and `lo`: a container is reached through a subnet or host
 * route, never the default one.
 */
export function routeInterface(address: string, routeTable: string): string | undefined {
  const parsed = parseAddress(address);
  if (parsed?.family !== 4) return undefined;
  const value = Number(parsed.value);
  let best: (RouteLine & { prefix: number }) | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const route = parseRouteLine(line);
    if (!route || route.mask === 0 || route.iface === 'lo' || !(route.flags & RTF_UP) || route.flags & RTF_REJECT) continue;
    if ((value & route.mask) >>> 0 !== (route.destination & route.mask) >>> 0) continue;
    const prefix = prefixLength(route.mask);
    if (!best || prefix > best.prefix || (prefix === best.prefix && route.metric < best.metric)) best = { ...route, prefix };
  }
  return best?.iface;
}

export function readRouteTable(): string {
  try {
    return readFileSync('/proc/net/route', 'utf8');
  } catch {
    return '';
  }
}

export interface SysctlAccess {
  read(key: string[]): Promise<string>;
  write(key: string[], value: number): Promise<void>;
}

export const processSysctl: SysctlAccess = {
  read: (key) => readSysctl(key),
  write: (key, value) => writeSysctl(key, value),
};

/** Turn route_localnet on for `ifname` unless it already is; true when it had to be written. */
export async function enableRouteLocalnet(ifname: string, sysctl: SysctlAccess = processSysctl): Promise<boolean> {
  if (ifname === 'lo') return false;
  const key = interfaceSysctl('ipv4', ifname, 'route_localnet');
  if ((await sysctl.read(key)) === '1') return false;
  await sysctl.write(key, 1);
  return true;
}

export async function routeLocalnetEnabled(ifname: string, sysctl: SysctlAccess = processSysctl): Promise<boolean> {
  return (await sysctl.read(interfaceSysctl('ipv4', ifname, 'route_localnet'))) === '1';
}

/** Turn route_localnet off for `ifname`; an interface that is gone has nothing left to turn off. */
export async function disableRouteLocalnet(ifname: string, sysctl: SysctlAccess = processSysctl): Promise<void> {
  if (ifname === 'lo') return;
  try {
    await sysctl.write(interfaceSysctl('ipv4', ifname, 'route_localnet'), 0);
  } catch (e) {
    if (!isNetnsError(e, 'sysctl-missing')) throw e;
  }
}
