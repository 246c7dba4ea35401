// The allocation store, file for file the layout of host-local's disk backend, so both
// plugins can work on one store:
//   <dataDir>/<network>/<ip>                   "<containerID>\r\n<ifname>" (no trailing newline;
//                                              files of old host-local versions hold only the ID)
//   <dataDir>/<network>/last_reserved_ip.<i>   the address last reserved in range set i
//   <dataDir>/<network>/lock                   flock(2)ed around every change (see lock.ts)
// <ip> is Go's text form of the address (formatAddress). Callers hold the lock.
// The file calls are synchronous on purpose: each is a few microseconds on small files, and a
// plugin process that awaits a thread-pool round trip for each of them starts measurably slower.
import { accessSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attachment } from '../cni/types.js';
import { type Address, formatAddress, parseAddress } from './address.js';
import { storeFailure } from './errors.js';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';
export const LOCK_FILE = 'lock';
const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
const LINE_BREAK = '\r\n';
const FILE_MODE = 0o600;
const DIR_MODE = 0o755;

export interface Allocation {
  address: Address;
  /** The file's content, trimmed: "<id>\r\n<ifname>", or "<id>" in files of old host-local versions. */
  key: string;
  containerId: string;
  /** Absent in files of old host-local versions. */
  ifname?: string;
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
export function allocationKey(owner: Attachment): string {
  return `${owner.containerID.trim()}${LINE_BREAK}${owner.ifname}`;
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
 * host-local's O_EXCL) and no reader ever sees a half-written file.
 */
export function reserve(dir: string, address: Address, owner: Attachment, rangeSetIndex: number): boolean {
  const name = formatAddress(address);
  const target = join(dir, name);
  const temp = tempPath(dir);
  try {
    writeFileSync(temp, allocationKey(owner), { mode: FILE_MODE, flag: 'wx' });
    try {
      linkSync(temp, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } catch (e) {
    throw storeFailure('write', target, e);
  } finally {
    removeQuietly(temp);
  }
  writeLastReserved(dir, rangeSetIndex, address);
  return true;
}

function writeLastReserved(dir: string, rangeSetIndex: number, address: Address): void {
  const path = join(dir, `${LAST_RESERVED_PREFIX}${rangeSetIndex}`);
  const temp = tempPath(dir);
  try {
    writeFileSync(temp, formatAddress(address), { mode: FILE_MODE, flag: 'wx' });
    renameSync(temp, path);
  } catch (e) {
    removeQuietly(temp);
    throw storeFailure('write', path, e);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never made
  }
}

let tempCounter = 0;

/** A private temp name in the store; not an address, so no reader takes it for an allocation. */
function tempPath(dir: string): string {
  // Uniqueness only needs pid + counter; the random part guards against a reused pid's debris.
  return join(dir, `.tmp-${process.pid}-${++tempCounter}-${Math.random().toString(36).slice(2, 8)}`);
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

/** Remove one allocation; one that is already gone is fine. */
export function release(dir: string, address: Address): void {
  const path = join(dir, formatAddress(address));
  try {
    unlinkSync(path);
  } catch (e) {
    if (!isNotFound(e)) throw storeFailure('remove', path, e);
  }
}

/**
 * The allocations of an attachment as host-local's GetByID/ReleaseByID see them: files with
 * its exact key, or else (files of old versions) those holding only its container ID.
 */
export function allocationsOf(allocations: readonly Allocation[], owner: Attachment): Allocation[] {
  const exact = allocations.filter((a) => a.key === allocationKey(owner));
  if (exact.length > 0) return exact;
  const id = owner.containerID.trim();
  return allocations.filter((a) => a.key === id);
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Create the store directory if needed and prove a file can be written in it (STATUS). */
export function probeWritable(dir: string): void {
  ensureStoreDir(dir);
  const temp = tempPath(dir);
  try {
    writeFileSync(temp, '', { mode: FILE_MODE, flag: 'wx' });
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
