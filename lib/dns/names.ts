// The names store of a zone: which names its name server (server.ts, the `zone-dns` role)
// answers, and for whom. One JSON file per zone, read by the server and written by whoever
// registers names (the zone plugin on ADD and DEL, zonectl for machines):
//
//   <stateDir>/<zone>.json   {"entries": [{"name": "web", "addresses": ["10.89.0.2", "fd89::2"],
//                                         "owner": {"network": "demo", "containerId": "…", "ifname": "eth0"}},
//                                        {"name": "db", "addresses": ["10.89.0.3"], "owner": {"machine": "db"}}]}
//   <stateDir>/<zone>.lock   flock(2)ed around every change (lib/libc/lock.ts)
//
// stateDir defaults to /run/cni-zones/dns. The interface:
//
//   setOwnerNames(zone, owner, names, addresses, options?)  the owner's names are now exactly
//       `names`, each resolving to `addresses` (replacing whatever the owner had; [] removes them)
//   removeOwnerNames(zone, owner, options?)                  the owner's names are gone
//   removeUnlistedOwners(zone, network, valid, options?)     GC: names of the network's
//       attachments that `valid` does not list are gone (machines' names stay)
//   readNamesFile(path) / namesFilePath(zone, stateDir?)     what the server reads
//
// Both writers return the entries they left. An owner is the attachment (`{network,
// containerId, ifname}`, lib/cni/types.ts) or a machine (`{machine}`). A name is one DNS label
// (lib/names `dnsLabelProblem`), lowercased: the server answers `<name>.<zone>.<domain>`.
// Addresses are stored in their canonical text. A name several owners hold resolves to all of
// their addresses together (no owner hides another's, and the answer does not depend on who
// wrote last); a reverse lookup of an address answers every name that holds it.
//
// Writes go through a temp file created O_EXCL|O_NOFOLLOW, fsynced and renamed over the store
// (lib/files/durable.ts), so the server reads the old file or the new one, never half of one,
// and a symlink planted in the directory is refused, never followed. The store is read without
// following a symlink either. When the last name goes, the file and its lock go too: a zone
// without names leaves nothing behind (a waiter on the removed lock takes a new one: lock.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { CniError, ErrorCode } from '../cni/errors.js';
import { type Attachment, isListedAttachment } from '../cni/types.js';
import { collectStaleTemps, readFileNoFollow, removeQuietly, replaceFile } from '../files/durable.js';
import { canonicalAddress } from '../ip/index.js';
import { withFileLock } from '../libc/lock.js';
import { currentBootId } from '../system/boot-id.js';
import {
  containerIdProblem,
  dnsLabelProblem,
  interfaceNameProblem,
  machineNameProblem,
  networkNameProblem,
  zoneNameProblem,
} from '../names/index.js';

export const DEFAULT_DNS_STATE_DIR = '/run/cni-zones/dns';

/** Who registered a name: a CNI attachment, or an nspawn machine (zonectl, machined). */
export type NameOwner = Attachment | { machine: string };

export interface NameEntry {
  /** One lowercase DNS label. */
  name: string;
  /** Canonical address texts, v4 and v6; may be empty (the name then answers no address). */
  addresses: string[];
  owner: NameOwner;
  /** The boot an attachment's name was registered in (lib/system/boot-id.ts); absent for machines and in older files. */
  bootId?: string;
}

export interface NamesStoreOptions {
  /** Default /run/cni-zones/dns. */
  stateDir?: string;
  /** How long to wait for the zone's lock (default: lock.ts's, within the call's budget). */
  lockTimeoutMs?: number;
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

let schema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  const owner = z.union([
    z.object({ network: z.string(), containerId: z.string(), ifname: z.string() }),
    z.object({ machine: z.string() }),
  ]);
  return z.object({
    entries: z.array(z.object({ name: z.string(), addresses: z.array(z.string()), owner, bootId: z.optional(z.string()) })),
  });
}

/** The store file of `zone`. */
export function namesFilePath(zone: string, stateDir = DEFAULT_DNS_STATE_DIR): string {
  checkZone(zone);
  return join(stateDir, `${zone}.json`);
}

/**
 * The entries of a store file; none when it does not exist. A file that is a symlink, is not
 * JSON or not of our shape is an error (CniError, code 5) saying why.
 */
export function readNamesFile(path: string): NameEntry[] {
  let text: string;
  try {
    text = readFileNoFollow(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    const why = code === 'ELOOP' ? 'it is a symbolic link' : (e as Error).message;
    throw new CniError(ErrorCode.IoFailure, `cannot read the names store ${path}`, why);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `the names store ${path} is not JSON`, (e as Error).message);
  }
  schema ??= buildSchema();
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CniError(ErrorCode.IoFailure, `the names store ${path} is not a names store`, parsed.error.message);
  return parsed.data.entries;
}

/**
 * Make `names` (lowercased) the owner's names in `zone`, each resolving to `addresses`,
 * replacing the owner's earlier names; no names removes them. Invalid names, addresses or owner
 * are refused (code 7) before anything changes. Returns the zone's entries after the change.
 */
export async function setOwnerNames(
  zone: string,
  owner: NameOwner,
  names: readonly string[],
  addresses: readonly string[],
  options: NamesStoreOptions = {},
): Promise<NameEntry[]> {
  checkOwner(owner);
  const labels = [...new Set(names.map(checkedLabel))];
  const canonical = [...new Set(addresses.map(checkedAddress))];
  const bootId = 'machine' in owner ? undefined : currentBootId();
  const added = labels.map((name) => ({ name, addresses: canonical, owner: copyOwner(owner), ...(bootId !== undefined && { bootId }) }));
  return changeStore(zone, options, (entries) => [...entries.filter((entry) => !sameOwner(entry.owner, owner)), ...added]);
}

/** Remove the owner's names from `zone` (none is fine). Returns the zone's entries after the change. */
export async function removeOwnerNames(zone: string, owner: NameOwner, options: NamesStoreOptions = {}): Promise<NameEntry[]> {
  checkOwner(owner);
  if (!storeExists(zone, options)) return [];
  return changeStore(zone, options, (entries) => entries.filter((entry) => !sameOwner(entry.owner, owner)));
}

/**
 * GC: remove the names of `network`'s attachments that `valid` does not list; other networks'
 * attachments and machines keep theirs. Returns the zone's entries after the change.
 */
export async function removeUnlistedOwners(
  zone: string,
  network: string,
  valid: readonly Attachment[],
  options: NamesStoreOptions = {},
): Promise<NameEntry[]> {
  if (!storeExists(zone, options)) return [];
  const stale = (owner: NameOwner) => !('machine' in owner) && owner.network === network && !isListedAttachment(valid, owner);
  return changeStore(zone, options, (entries) => entries.filter((entry) => !stale(entry.owner)));
}

/** A removal where the zone never had names has nothing to do, and no directory to make. */
function storeExists(zone: string, options: NamesStoreOptions): boolean {
  return existsSync(namesFilePath(zone, options.stateDir ?? DEFAULT_DNS_STATE_DIR));
}

function sameOwner(a: NameOwner, b: NameOwner): boolean {
  if ('machine' in a || 'machine' in b) return 'machine' in a && 'machine' in b && a.machine === b.machine;
  return a.network === b.network && a.containerId === b.containerId && a.ifname === b.ifname;
}

/** Only the owner's own fields go into the file, whatever else the caller's object carries. */
function copyOwner(owner: NameOwner): NameOwner {
  if ('machine' in owner) return { machine: owner.machine };
  return { network: owner.network, containerId: owner.containerId, ifname: owner.ifname };
}

async function changeStore(zone: string, options: NamesStoreOptions, change: (entries: NameEntry[]) => NameEntry[]): Promise<NameEntry[]> {
  const stateDir = options.stateDir ?? DEFAULT_DNS_STATE_DIR;
  const path = namesFilePath(zone, stateDir);
  const lockPath = join(stateDir, `${zone}.lock`);
  try {
    mkdirSync(stateDir, { recursive: true, mode: DIR_MODE });
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot make the names directory ${stateDir}`, (e as Error).message);
  }
  const lockOptions = { kind: 'flock' as const, ...(options.lockTimeoutMs !== undefined && { timeoutMs: options.lockTimeoutMs }) };
  return withFileLock(
    lockPath,
    () => {
      collectStaleTemps(stateDir, (name) => tempWriter(zone, name));
      const entries = sortEntries(change(readNamesFile(path)));
      try {
        if (entries.length === 0) {
          removeQuietly(path);
          // Still locked: a waiter that opened this file finds it unlinked and locks a new one.
          removeQuietly(lockPath);
        } else {
          const temp = join(stateDir, tempName(zone, process.pid));
          // Under the lock a temp of our pid is a dead namesake's (pid reuse), never a live writer's.
          removeQuietly(temp);
          replaceFile(path, temp, `${JSON.stringify({ entries }, null, 1)}\n`, FILE_MODE);
        }
      } catch (e) {
        throw new CniError(ErrorCode.IoFailure, `cannot write the names store ${path}`, (e as Error).message);
      }
      return entries;
    },
    lockOptions,
  );
}

function tempName(zone: string, pid: number): string {
  return `.${zone}.json.${pid}.tmp`;
}

/** The pid in a temp file name of this zone's store, or undefined for other names. */
function tempWriter(zone: string, name: string): number | undefined {
  const prefix = `.${zone}.json.`;
  if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return undefined;
  const pid = name.slice(prefix.length, -'.tmp'.length);
  return /^[1-9]\d{0,9}$/.test(pid) ? Number(pid) : undefined;
}

/** By name, then by owner: the file reads the same whatever order the changes came in. */
function sortEntries(entries: NameEntry[]): NameEntry[] {
  const key = (entry: NameEntry) => `${entry.name}\0${JSON.stringify(entry.owner)}`;
  return entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function invalid(what: string, value: string, why: string): CniError {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what} ${shown}: ${why}`);
}

function checkZone(zone: string): void {
  const problem = zoneNameProblem(zone);
  if (problem) throw invalid('zone name', zone, problem);
}

function checkedLabel(name: string): string {
  const label = name.toLowerCase();
  const problem = dnsLabelProblem(label);
  if (problem) throw invalid('DNS name', name, problem);
  return label;
}

function checkedAddress(address: string): string {
  const canonical = canonicalAddress(address);
  if (canonical === undefined) throw invalid('address', address, 'it is not an IPv4 or IPv6 address');
  return canonical;
}

function checkOwner(owner: NameOwner): void {
  if ('machine' in owner) {
    const problem = machineNameProblem(owner.machine);
    if (problem) throw invalid('machine name', owner.machine, problem);
    return;
  }
  const checks: [string, string, (value: string) => string | undefined][] = [
    ['network name', owner.network, networkNameProblem],
    ['container ID', owner.containerId, containerIdProblem],
    ['interface name', owner.ifname, interfaceNameProblem],
  ];
  for (const [what, value, problemOf] of checks) {
    const problem = problemOf(value);
    if (problem) throw invalid(what, value, problem);
  }
}
