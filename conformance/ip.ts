// What the cases look at and break inside namespaces, through iproute2's JSON output:
// links, their MAC and addresses; and the damage CHECK is expected to notice.
import { canonicalAddress, stripPrefix } from '../lib/ip/index.js';
import { nsRunOk, type Namespace } from './netns.js';

export interface LinkInfo {
  name: string;
  mac?: string;
  up: boolean;
  master?: string;
  /** `address/prefix`, v4 and v6, link-local included. */
  addresses: string[];
}

interface IpAddrJson {
  ifname: string;
  address?: string;
  flags?: string[];
  master?: string;
  addr_info?: { local: string; prefixlen: number }[];
}

async function ipJson<T>(ns: Namespace, args: string[]): Promise<T[]> {
  const stdout = await nsRunOk(ns, 'ip', ['-j', ...args]);
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]);
}

/** Every link of the namespace with its addresses. */
async function links(ns: Namespace): Promise<LinkInfo[]> {
  const entries = await ipJson<IpAddrJson>(ns, ['address', 'show']);
  return entries.map((e) => ({
    name: e.ifname,
    ...(e.address !== undefined && { mac: e.address }),
    up: e.flags?.includes('UP') ?? false,
    ...(e.master !== undefined && { master: e.master }),
    addresses: (e.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

export async function link(ns: Namespace, name: string): Promise<LinkInfo | undefined> {
  return (await links(ns)).find((l) => l.name === name);
}

/** The address without its prefix length, canonical (so IPv6 compares as text). */
export function bareAddress(cidr: string): string {
  const text = stripPrefix(cidr);
  return canonicalAddress(text) ?? text.toLowerCase();
}

/** Whether `cidr` (or a bare address) is configured on the link; with a prefix, the prefix must match too. */
export function hasAddress(info: LinkInfo, address: string): boolean {
  if (!address.includes('/')) return info.addresses.some((a) => bareAddress(a) === bareAddress(address));
  return info.addresses.some((a) => bareAddress(a) === bareAddress(address) && a.split('/')[1] === address.split('/')[1]);
}

export async function deleteLink(ns: Namespace, name: string): Promise<void> {
  await nsRunOk(ns, 'ip', ['link', 'delete', name]);
}

export async function deleteAddress(ns: Namespace, name: string, cidr: string): Promise<void> {
  await nsRunOk(ns, 'ip', ['address', 'delete', cidr, 'dev', name]);
}

/** A veth pair inside one namespace (this kernel has no dummy links). */
export async function createVethPair(ns: Namespace, name: string, peer: string): Promise<void> {
  await nsRunOk(ns, 'ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
}

/** A veth pair from `a` to `b`, addressed and up, for a client outside the host. */
export async function connectNamespaces(
  a: Namespace,
  b: Namespace,
  ends: { a: string; b: string; addressA: string; addressB: string },
): Promise<void> {
  await nsRunOk(a, 'ip', ['link', 'add', ends.a, 'type', 'veth', 'peer', 'name', ends.b, 'netns', b.name]);
  await nsRunOk(a, 'ip', ['address', 'add', ends.addressA, 'dev', ends.a]);
  await nsRunOk(a, 'ip', ['link', 'set', ends.a, 'up']);
  await nsRunOk(b, 'ip', ['address', 'add', ends.addressB, 'dev', ends.b]);
  await nsRunOk(b, 'ip', ['link', 'set', ends.b, 'up']);
}

export async function addDefaultRoute(ns: Namespace, via: string): Promise<void> {
  await nsRunOk(ns, 'ip', ['route', 'add', 'default', 'via', via]);
}
