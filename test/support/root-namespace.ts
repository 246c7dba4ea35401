// Proof that tests leave the machine's own (root) network namespace alone:
// a snapshot of what plugins could change by mistake (links, addresses, routes,
// policy rules, nftables, forwarding sysctls), taken before and after the run and
// compared. The same snapshot works inside any namespace, which is how the
// comparison itself is tested without touching the root namespace.

import { execa } from 'execa';
import { type Netns, nsExec } from './netns.js';
import { findTool } from './privileges.js';

export interface NamespaceSnapshot {
  /** `name up|down [master M]`, sorted. */
  links: string[];
  /** `ifname address/prefix`, sorted. */
  addresses: string[];
  /** One line per route in every table, v4 and v6, sorted. */
  routes: string[];
  rules: string[];
  /** `nft list ruleset` split per table (`family name` → its text); undefined without nft. */
  nftTables: Record<string, string> | undefined;
  /** Forwarding and route_localnet sysctls, by dotted name. */
  sysctls: Record<string, string>;
}

type Run = (command: string, args: string[]) => Promise<string>;

function runnerFor(ns: Netns | string | undefined): Run {
  return async (command, args) => (ns === undefined ? (await execa(command, args)).stdout : (await nsExec(ns, command, args)).stdout);
}

async function ipJson<T>(run: Run, args: string[]): Promise<T[]> {
  const stdout = await run('ip', ['-j', ...args]);
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]);
}

interface IpLink {
  ifname: string;
  flags: string[];
  master?: string;
}

async function readLinks(run: Run): Promise<string[]> {
  const links = await ipJson<IpLink>(run, ['link', 'show']);
  return links
    .map((link) => {
      const state = link.flags.includes('UP') ? 'up' : 'down';
      return [link.ifname, state, ...(link.master ? ['master', link.master] : [])].join(' ');
    })
    .sort();
}

interface IpAddressLink {
  ifname: string;
  addr_info: { local: string; prefixlen: number }[];
}

async function readAddresses(run: Run): Promise<string[]> {
  const links = await ipJson<IpAddressLink>(run, ['address', 'show']);
  return links.flatMap((link) => link.addr_info.map((a) => `${link.ifname} ${a.local}/${a.prefixlen}`)).sort();
}

type IpRoute = Record<string, unknown>;

// Lifetimes and carrier flags change by themselves; everything else is configuration.
const routeFields = ['type', 'dst', 'gateway', 'dev', 'table', 'protocol', 'scope', 'metric', 'prefsrc'];

function describeRoute(family: string, route: IpRoute): string {
  const parts = routeFields.filter((field) => route[field] !== undefined).map((field) => `${field} ${String(route[field])}`);
  return `${family} ${parts.join(' ')}`;
}

async function readRoutes(run: Run): Promise<string[]> {
  const [v4, v6] = await Promise.all([
    ipJson<IpRoute>(run, ['-4', 'route', 'show', 'table', 'all']),
    ipJson<IpRoute>(run, ['-6', 'route', 'show', 'table', 'all']),
  ]);
  return [...v4.map((r) => describeRoute('ipv4', r)), ...v6.map((r) => describeRoute('ipv6', r))].sort();
}

async function readRules(run: Run): Promise<string[]> {
  const [v4, v6] = await Promise.all([ipJson<IpRoute>(run, ['-4', 'rule', 'show']), ipJson<IpRoute>(run, ['-6', 'rule', 'show'])]);
  return [...v4.map((r) => `ipv4 ${JSON.stringify(r)}`), ...v6.map((r) => `ipv6 ${JSON.stringify(r)}`)].sort();
}

/** `nft list ruleset` output as `family name` → the table's text. */
function splitRulesetByTable(ruleset: string): Record<string, string> {
  const tables: Record<string, string> = {};
  let current: string | undefined;
  for (const line of ruleset.split('\n')) {
    const header = /^table (\S+) (\S+) \{$/.exec(line);
    if (header) current = `${header[1]} ${header[2]}`;
    if (current !== undefined) tables[current] = `${tables[current] ?? ''}${line}\n`;
    if (line === '}') current = undefined;
  }
  return tables;
}

async function readNftTables(run: Run): Promise<Record<string, string> | undefined> {
  if (findTool('nft') === undefined) return undefined;
  return splitRulesetByTable(await run('nft', ['list', 'ruleset']));
}

const sysctlFiles = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/ipv4/conf/*/forwarding',
  '/proc/sys/net/ipv4/conf/*/route_localnet',
  '/proc/sys/net/ipv6/conf/*/forwarding',
];

async function readSysctls(run: Run): Promise<Record<string, string>> {
  // A shell expands the globs, so they list the interfaces of the namespace it runs in.
  // Without IPv6 some globs match nothing; grep -s keeps quiet about them.
  const stdout = await run('sh', ['-c', `grep -Hs '' ${sysctlFiles.join(' ')}; exit 0`]);
  const entries = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const separator = line.lastIndexOf(':');
      const name = line.slice('/proc/sys/'.length, separator).replaceAll('/', '.');
      return [name, line.slice(separator + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** Snapshot of a namespace; without an argument, of the one this process runs in (the root namespace). */
export async function snapshotNamespace(ns?: Netns | string): Promise<NamespaceSnapshot> {
  const run = runnerFor(ns);
  const [links, addresses, routes, rules, nftTables, sysctls] = await Promise.all([
    readLinks(run),
    readAddresses(run),
    readRoutes(run),
    readRules(run),
    readNftTables(run),
    readSysctls(run),
  ]);
  return { links, addresses, routes, rules, nftTables, sysctls };
}

export function snapshotRootNamespace(): Promise<NamespaceSnapshot> {
  return snapshotNamespace();
}

function diffLists(kind: string, before: readonly string[], after: readonly string[]): string[] {
  const removed = before.filter((item) => !after.includes(item)).map((item) => `${kind} removed: ${item}`);
  const added = after.filter((item) => !before.includes(item)).map((item) => `${kind} added: ${item}`);
  return [...removed, ...added];
}

function diffNftTables(before: Record<string, string> | undefined, after: Record<string, string> | undefined): string[] {
  if (before === undefined || after === undefined) return [];
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((name) => {
    const old = before[name];
    const now = after[name];
    if (old === undefined) return [`nft table added: ${name}\n${now}`];
    if (now === undefined) return [`nft table removed: ${name}`];
    if (old === now) return [];
    const lines = (text: string) => text.split('\n').map((line) => line.trim());
    return [`nft table changed: ${name}`, ...diffLists(`  nft ${name} line`, lines(old), lines(now))];
  });
}

function diffSysctls(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((name) => before[name] !== after[name])
    .map((name) => `sysctl ${name}: ${before[name] ?? '(absent)'} -> ${after[name] ?? '(absent)'}`);
}

/** Human-readable differences, one per entry; empty when nothing changed. */
export function diffSnapshots(before: NamespaceSnapshot, after: NamespaceSnapshot): string[] {
  return [
    ...diffLists('link', before.links, after.links),
    ...diffLists('address', before.addresses, after.addresses),
    ...diffLists('route', before.routes, after.routes),
    ...diffLists('rule', before.rules, after.rules),
    ...diffNftTables(before.nftTables, after.nftTables),
    ...diffSysctls(before.sysctls, after.sysctls),
  ];
}
