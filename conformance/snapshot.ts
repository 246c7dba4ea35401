// What a plugin set leaves in the host namespace and its state directory: links, addresses,
// routes, policy rules, the nftables ruleset (iptables-nft rules included) and the names of
// state files. Two snapshots are compared as multisets of lines, so the diff names exactly
// what appeared or vanished. Counters, lifetimes and file contents change by themselves and
// are left out.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { nsRun, nsRunOk, type Namespace } from './netns.js';
import { findExecutable } from '../lib/system/programs.js';

export interface Snapshot {
  links: string[];
  addresses: string[];
  routes: string[];
  rules: string[];
  /** Lines of `nft -s list ruleset`; undefined without nft. */
  nft: string[] | undefined;
  /** Paths under the state directory. */
  files: string[];
}

export type SnapshotPart = keyof Snapshot;

async function ipJson<T>(ns: Namespace, args: string[]): Promise<T[]> {
  const stdout = await nsRunOk(ns, 'ip', ['-j', ...args]);
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]);
}

interface IpLinkJson {
  ifname: string;
  flags?: string[];
  master?: string;
  addr_info?: { local: string; prefixlen: number }[];
}

// The kernel adds IPv6 link-local addresses and per-link multicast/link-local routes by itself,
// some time after a link comes up; the link itself is what a plugin made, and is compared.
function isKernelLinkLocal(text: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(text) || text === 'ff00::/8';
}

function describeLink(l: IpLinkJson): string {
  return [l.ifname, l.flags?.includes('UP') ? 'up' : 'down', ...(l.master ? ['master', l.master] : [])].join(' ');
}

// Lifetimes, carrier state and `expires` change by themselves; these fields are configuration.
const ROUTE_FIELDS = ['type', 'dst', 'gateway', 'dev', 'table', 'protocol', 'scope', 'metric', 'prefsrc'];

function describeRoute(family: string, route: Record<string, unknown>): string {
  const parts = ROUTE_FIELDS.filter((f) => route[f] !== undefined).map((f) => `${f} ${String(route[f])}`);
  return `${family} ${parts.join(' ')}`;
}

function describeRule(family: string, rule: Record<string, unknown>): string {
  return `${family} ${Object.entries(rule)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(' ')}`;
}

/**
 * The ruleset as one line per rule, element line or declaration, each prefixed with the blocks
 * it is in (`table ip nat › chain POSTROUTING › masquerade`), so a diff names where a line
 * sits; comments (iptables-nft's warning), blank lines and closing braces are dropped.
 */
export function normalizeRuleset(text: string): string[] {
  const path: string[] = [];
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '}') {
      path.pop();
      continue;
    }
    if (line.endsWith('{')) {
      path.push(line.slice(0, -1).trim());
      lines.push(path.join(' › '));
      continue;
    }
    lines.push([...path, line].join(' › '));
  }
  return lines;
}

async function readRuleset(ns: Namespace): Promise<string[] | undefined> {
  if (!findExecutable('nft')) return undefined;
  const outcome = await nsRun(ns, 'nft', ['-s', 'list', 'ruleset']);
  if (outcome.exitCode !== 0) throw new Error(`nft list ruleset in ${ns.name}: ${outcome.stderr.trim()}`);
  return normalizeRuleset(outcome.stdout);
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? listFiles(root, join(dir, entry.name)) : [relative(root, join(dir, entry.name))])),
  );
  return nested.flat();
}

/** Everything a leak could show up in, for the host namespace `ns` and the state directory `stateDir`. */
export async function takeSnapshot(ns: Namespace, stateDir: string): Promise<Snapshot> {
  const [linkList, v4, v6, r4, r6, nft, files] = await Promise.all([
    ipJson<IpLinkJson>(ns, ['address', 'show']),
    ipJson<Record<string, unknown>>(ns, ['-4', 'route', 'show', 'table', 'all']),
    ipJson<Record<string, unknown>>(ns, ['-6', 'route', 'show', 'table', 'all']),
    ipJson<Record<string, unknown>>(ns, ['-4', 'rule', 'show']),
    ipJson<Record<string, unknown>>(ns, ['-6', 'rule', 'show']),
    readRuleset(ns),
    listFiles(stateDir),
  ]);
  return {
    links: linkList.map(describeLink).sort(),
    addresses: linkList
      .flatMap((l) => (l.addr_info ?? []).filter((a) => !isKernelLinkLocal(a.local)).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`))
      .sort(),
    routes: [
      ...v4.map((r) => describeRoute('ipv4', r)),
      ...v6.filter((r) => !isKernelLinkLocal(String(r.dst))).map((r) => describeRoute('ipv6', r)),
    ].sort(),
    rules: [...r4.map((r) => describeRule('ipv4', r)), ...r6.map((r) => describeRule('ipv6', r))].sort(),
    nft,
    files: files.sort(),
  };
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A snapshot once the namespace stopped changing: the kernel tears down a removed namespace
 * (and the veth peers in it) asynchronously, so right after a DEL a host link may still be
 * on its way out. Polls until two snapshots `intervalMs` apart agree, at most `attempts` times.
 */
export async function settledSnapshot(take: () => Promise<Snapshot>, intervalMs = 200, attempts = 15): Promise<Snapshot> {
  let previous = await take();
  for (let i = 0; i < attempts; i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const current = await take();
    if (sameSnapshot(previous, current)) return current;
    previous = current;
  }
  return previous;
}

function countLines(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** Lines in `after` but not in `before` (+) and the reverse (-), as multisets. */
export function diffLines(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const b = countLines(before);
  const a = countLines(after);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [line, n] of a) for (let i = n - (b.get(line) ?? 0); i > 0; i--) added.push(line);
  for (const [line, n] of b) for (let i = n - (a.get(line) ?? 0); i > 0; i--) removed.push(line);
  return { added, removed };
}

const PART_NAMES: Record<SnapshotPart, string> = {
  links: 'link',
  addresses: 'address',
  routes: 'route',
  rules: 'rule',
  nft: 'nft',
  files: 'state file',
};

/** One line per difference, e.g. `+ link veth1234 up master cni0`; empty when equal. */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const part of Object.keys(PART_NAMES) as SnapshotPart[]) {
    const { added, removed } = diffLines(before[part] ?? [], after[part] ?? []);
    lines.push(...added.map((l) => `+ ${PART_NAMES[part]} ${l}`), ...removed.map((l) => `- ${PART_NAMES[part]} ${l}`));
  }
  return lines;
}

/** diffSnapshots limited to what appeared (leaks), or vanished (lost state). */
export function summarizeDiff(lines: readonly string[], max = 8): string {
  const shown = lines.slice(0, max).join('; ');
  return lines.length > max ? `${shown}; … ${lines.length - max} more` : shown;
}
