// The allocation store, file for file the layout of host-local's disk backend, so both
// plugins can work on one store:
//   <dataDir>/<network>/<ip>                   "<containerID>\r\n<ifname>" (no trailing newline;
//                                              files of old host-local versions hold only the ID)
//   <dataDir>/<network>/last_reserved_ip.<i>   the address last reserved in range set i
//   <dataDir>/<network>/lock                   flock(2)ed around every change (see lock.ts)
//   <dataDir>/.cni-zones-boot/<network>/<ip>   ours only: {"bootId", "key"}, the boot an allocation
//                                              was made in (lib/system/boot-id.ts)
// <ip> is Go's text form of the address (formatAddress). Callers hold the lock.
// Every file is written whole before its name appears, and both reach the disk before a call
// returns (lib/files/durable.ts); a reservation whose last_reserved_ip cannot be written is
// taken back, so a failed ADD holds no address.
// The boot records sit beside the store, not in its address files, so host-local reads our files
// and we read theirs unchanged, and outside its directory: host-local walks only its network's
// directory tree (a network name cannot start with a dot, so none is ours), and the store lists
// as host-local's would. Should a record be found anyway, its content (JSON) never equals the
// "<id>\r\n<ifname>" or "<id>" host-local compares files with. An allocation host-local makes has
// no record (its boot is unknown); a record whose key is not its address file's content any
// more (host-local released the address and reserved it again) is not that allocation's, and GC
// removes it. A network's record directory goes with its last record, under the store's lock.
// The file calls are synchronous on purpose: each is a few microseconds on small files, and a
// plugin process that awaits a thread-pool round trip for each of them starts measurably slower.
import { accessSync, linkSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Attachment } from '../cni/types.js';
import { type Address, formatAddress, parseAddress } from '../ip/index.js';
import { collectStaleTemps, createFile, readFileNoFollow, removeQuietly, replaceFile, syncDirectory } from '../files/durable.js';
import { currentBootId } from '../system/boot-id.js';
import { storeFailure } from './errors.js';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';
const LOCK_FILE = 'lock';
const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
const BOOT_DIR = '.cni-zones-boot';
const LINE_BREAK = '\r\n';
const FILE_MODE = 0o600;
const DIR_MODE = 0o755;

/** Whose an address is: one store is one network's, so its files name the container and ifname only. */
export type StoreOwner = Pick<Attachment, 'containerId' | 'ifname'>;

export interface Allocation {
  address: Address;
  /** The file's content, trimmed: "<id>\r\n<ifname>", or "<id>" in files of old host-local versions. */
  key: string;
  containerId: string;
  /** Absent in files of old host-local versions. */
  ifname?: string;
  /** The boot the allocation was made in; absent when unknown (host-local's, or written before boot IDs were). */
  bootId?: string;
}

export function storeDir(dataDir: string, network: string): string {
  return join(dataDir, network);
}

export function lockPath(dir: string): string {
  return join(dir, LOCK_FILE);
}

export function ensureStoreDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (e) {
    throw storeFailure('create', dir, e);
  }
}

/** The key host-local writes for an attachment. */
export function allocationKey(owner: StoreOwner): string {
  return `${owner.containerId.trim()}${LINE_BREAK}${owner.ifname}`;
}

export function parseAllocationKey(key: string): { containerId: string; ifname?: string } {
  const lineBreak = key.indexOf(LINE_BREAK);
  if (lineBreak < 0) return { containerId: key };
  return { containerId: key.slice(0, lineBreak), ifname: key.slice(lineBreak + LINE_BREAK.length) };
}

/** Every allocation in the store; an absent directory holds none. Files not named by an address are skipped. */
export function readAllocations(dir: string): Allocation[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw storeFailure('read', dir, e);
  }
  return names.flatMap((name) => {
    const address = parseAddress(name);
    if (!address || formatAddress(address) !== name) return [];
    const content = readOptional(join(dir, name));
    if (content === undefined) return [];
    const key = content.trim();
    return [{ address, key, ...parseAllocationKey(key) }];
  });
}

/**
 * The allocations with the boot each was made in, for GC's census. Apart from readAllocations,
 * which every ADD runs over the whole store: the boot records would be one more read per address.
 */
export function readAllocationsWithBoot(dir: string): Allocation[] {
  return readAllocations(dir).map((allocation) => {
    const bootId = readBootRecord(dir, formatAddress(allocation.address), allocation.key);
    return bootId === undefined ? allocation : { ...allocation, bootId };
  });
}

/** `<dataDir>/.cni-zones-boot/<network>` for the store `<dataDir>/<network>`. */
export function bootRecordDir(dir: string): string {
  return join(dirname(dir), BOOT_DIR, basename(dir));
}

function bootRecordPath(dir: string, name: string): string {
  return join(bootRecordDir(dir), name);
}

/** The network's record directory once it is empty (the shared parent stays: other networks' writers are not locked out). */
function removeEmptyBootRecordDir(dir: string): void {
  try {
    rmdirSync(bootRecordDir(dir));
  } catch {
    // not empty, or not there
  }
}

/** The boot ID recorded for the address file `name` holding `key`; undefined when none (or another key's). */
function readBootRecord(dir: string, name: string, key: string): string | undefined {
  let record: unknown;
  try {
    record = JSON.parse(readFileNoFollow(bootRecordPath(dir, name)));
  } catch {
    return undefined;
  }
  const { bootId, key: recordedKey } = (record ?? {}) as { bootId?: unknown; key?: unknown };
  return typeof bootId === 'string' && recordedKey === key ? bootId : undefined;
}

function writeBootRecord(dir: string, address: Address, key: string): void {
  const bootId = currentBootId();
  if (bootId === undefined) return;
  const path = bootRecordPath(dir, formatAddress(address));
  try {
    mkdirSync(bootRecordDir(dir), { mode: DIR_MODE, recursive: true });
    replaceFile(path, tempPath(dir), `${JSON.stringify({ bootId, key })}\n`, FILE_MODE);
  } catch (e) {
    throw storeFailure('write', path, e);
  }
}

/** Boot records whose address is not allocated any more (host-local released it). Callers hold the lock. */
export function collectOrphanBootRecords(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(bootRecordDir(dir));
  } catch {
    return;
  }
  for (const name of names) {
    const content = readOptional(join(dir, name));
    if (content === undefined || readBootRecord(dir, name, content.trim()) === undefined) removeQuietly(bootRecordPath(dir, name));
  }
  removeEmptyBootRecordDir(dir);
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw storeFailure('read', path, e);
  }
}

/**
 * Claim `address` for `owner`; false when the address file exists already. The content is
 * written to a temp file and hard-linked into place, so the claim is exclusive (like
 * host-local's O_EXCL) and no reader ever sees a half-written file. Either the address file
 * and last_reserved_ip.<set> are both written, or neither claim is left.
 */
export function reserve(dir: string, address: Address, owner: StoreOwner, rangeSetIndex: number): boolean {
  const target = join(dir, formatAddress(address));
  const key = allocationKey(owner);
  if (!claim(dir, target, key)) return false;
  try {
    writeLastReserved(dir, rangeSetIndex, address);
    writeBootRecord(dir, address, key);
  } catch (e) {
    unclaim(dir, target);
    throw e;
  }
  return true;
}

function claim(dir: string, target: string, content: string): boolean {
  const temp = tempPath(dir);
  let linked = false;
  try {
    createFile(temp, content, FILE_MODE);
    try {
      linkSync(temp, target);
      linked = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    unlinkSync(temp);
    syncDirectory(dir);
    return true;
  } catch (e) {
    if (linked) removeQuietly(target);
    throw storeFailure('write', target, e);
  } finally {
    removeQuietly(temp);
  }
}

function unclaim(dir: string, target: string): void {
  removeQuietly(target);
  try {
    syncDirectory(dir);
  } catch {
    // the name is gone for every reader; the failure being reported is the one that matters
  }
}

function writeLastReserved(dir: string, rangeSetIndex: number, address: Address): void {
  const path = join(dir, `${LAST_RESERVED_PREFIX}${rangeSetIndex}`);
  try {
    replaceFile(path, tempPath(dir), formatAddress(address), FILE_MODE);
  } catch (e) {
    throw storeFailure('write', path, e);
  }
}

let tempCounter = 0;
const TEMP_NAME = /^\.tmp-(\d+)-/;

/** A private temp name in the store; not an address, so no reader takes it for an allocation. */
function tempPath(dir: string): string {
  // Uniqueness only needs pid + counter; the random part guards against a reused pid's debris.
  return join(dir, `.tmp-${process.pid}-${++tempCounter}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Remove temp files whose writer died before it could (a SIGKILL mid-write). Callers hold the lock. */
export function collectStaleTempFiles(dir: string): string[] {
  try {
    return collectStaleTemps(dir, (name) => {
      const pid = TEMP_NAME.exec(name)?.[1];
      return pid === undefined ? undefined : Number(pid);
    });
  } catch (e) {
    throw storeFailure('read', dir, e);
  }
}

/** Where round-robin continues for a range set; undefined when unknown or unreadable. */
export function readLastReserved(dir: string, rangeSetIndex: number): Address | undefined {
  try {
    const content = readOptional(join(dir, `${LAST_RESERVED_PREFIX}${rangeSetIndex}`));
    return content === undefined ? undefined : parseAddress(content.trim());
  } catch {
    return undefined;
  }
}

/** Remove allocations, on disk before returning; ones that are already gone are fine. */
export function release(dir: string, addresses: readonly Address[]): void {
  for (const address of addresses) {
    const path = join(dir, formatAddress(address));
    try {
      unlinkSync(path);
    } catch (e) {
      if (!isNotFound(e)) throw storeFailure('remove', path, e);
    }
    removeQuietly(bootRecordPath(dir, formatAddress(address)));
  }
  if (addresses.length === 0) return;
  removeEmptyBootRecordDir(dir);
  try {
    syncDirectory(dir);
  } catch (e) {
    throw storeFailure('sync', dir, e);
  }
}

/**
 * The allocations of an attachment as host-local's GetByID/ReleaseByID see them: files with
 * its exact key, or else (files of old versions) those holding only its container ID.
 */
export function allocationsOf(allocations: readonly Allocation[], owner: StoreOwner): Allocation[] {
  const exact = allocations.filter((a) => a.key === allocationKey(owner));
  if (exact.length > 0) return exact;
  const id = owner.containerId.trim();
  return allocations.filter((a) => a.key === id);
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Create the store directory if needed and prove a file can be written in it (STATUS). */
export function probeWritable(dir: string): void {
  ensureStoreDir(dir);
  const temp = tempPath(dir);
  try {
    createFile(temp, '', FILE_MODE);
  } catch (e) {
    throw storeFailure('write in', dir, e);
  } finally {
    removeQuietly(temp);
  }
}

export function storeExists(dir: string): boolean {
  try {
    accessSync(dir);
    return true;
  } catch {
    return false;
  }
}
