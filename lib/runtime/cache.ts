// The result cache on disk, where libcni keeps it: `<cacheDir>/results/<network>-<container>-<ifname>`,
// directories mode 0700, files 0600. Written through a temp file and a rename in the same
// directory, so a reader (us, cnitool, podman) never sees half a record.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { parseResult } from '../cni/result.js';
import type { Attachment, Result } from '../cni/types.js';
import { decodeCacheEntry, encodeCacheEntry, type CacheEntry, type CacheKey } from './cache-format.js';
import { compareBytes } from './gojson.js';

const TEMP_PREFIX = '.';

export function resultsDir(cacheDir: string): string {
  return join(cacheDir, 'results');
}

export function cacheFilePath(cacheDir: string, key: CacheKey): string {
  if (!key.networkName || !key.containerId || !key.ifname) {
    throw new CniError(
      ErrorCode.Internal,
      'a cache file path needs a network name, a container ID and an interface name',
      `network "${key.networkName}", container "${key.containerId}", interface "${key.ifname}"`,
    );
  }
  return join(resultsDir(cacheDir), `${key.networkName}-${key.containerId}-${key.ifname}`);
}

function ioFailure(what: string, e: unknown): CniError {
  return new CniError(ErrorCode.IoFailure, what, (e as Error).message);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = join(dirname(file), `${TEMP_PREFIX}${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

export async function writeCacheEntry(cacheDir: string, entry: CacheEntry): Promise<void> {
  const file = cacheFilePath(cacheDir, entry);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeAtomically(file, encodeCacheEntry(entry));
  } catch (e) {
    throw ioFailure(`failed to write the cached result of network "${entry.networkName}" to ${file}`, e);
  }
}

async function readCacheText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw ioFailure(`cannot read cached result ${file}`, e);
  }
}

/** The cached record of one attachment, or undefined when there is none (or it is not a cniCacheV1 record). */
export async function readCacheEntry(cacheDir: string, key: CacheKey): Promise<CacheEntry | undefined> {
  const text = await readCacheText(cacheFilePath(cacheDir, key));
  return text === undefined ? undefined : decodeCacheEntry(text);
}

/**
 * The cached ADD result of one attachment, or undefined when none is cached. Reads both the
 * cniCacheV1 record and the bare result older libcni versions stored; an unreadable one is code 6.
 */
export async function readCachedResult(cacheDir: string, key: CacheKey): Promise<Result | undefined> {
  const file = cacheFilePath(cacheDir, key);
  const text = await readCacheText(file);
  if (text === undefined) return undefined;
  const entry = decodeCacheEntry(text);
  try {
    return parseResult(entry ? entry.result : JSON.parse(text));
  } catch (e) {
    const why = e instanceof CniError ? `${e.message}${e.details ? `: ${e.details}` : ''}` : (e as Error).message;
    throw new CniError(ErrorCode.DecodingFailure, `cannot decode cached result ${file}`, why);
  }
}

/** Remove one attachment's record; a missing one is fine. */
export async function removeCacheEntry(cacheDir: string, key: CacheKey): Promise<void> {
  const file = cacheFilePath(cacheDir, key);
  try {
    await rm(file, { force: true });
  } catch (e) {
    throw ioFailure(`cannot remove cached result ${file}`, e);
  }
}

export interface CacheFilter {
  networkName?: string;
  containerId?: string;
}

function matches(entry: CacheEntry, filter: CacheFilter): boolean {
  if (!entry.networkName || !entry.ifname) return false;
  if (filter.networkName !== undefined && entry.networkName !== filter.networkName) return false;
  return filter.containerId === undefined || entry.containerId === filter.containerId;
}

async function cacheFileNames(cacheDir: string): Promise<string[]> {
  try {
    const names = await readdir(resultsDir(cacheDir));
    return names.filter((name) => !name.startsWith(TEMP_PREFIX)).sort(compareBytes);
  } catch (e) {
    if (isMissing(e)) return [];
    throw ioFailure(`cannot list cached results in ${resultsDir(cacheDir)}`, e);
  }
}

/** Cached attachments in file-name order, like libcni's GetCachedAttachments; unreadable records are skipped. */
export async function listCacheEntries(cacheDir: string, filter: CacheFilter = {}): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const name of await cacheFileNames(cacheDir)) {
    const text = await readFile(join(resultsDir(cacheDir), name), 'utf8').catch(() => undefined);
    const entry = text === undefined ? undefined : decodeCacheEntry(text);
    if (entry && matches(entry, filter)) entries.push(entry);
  }
  return entries;
}

/** The attachments of one network the cache knows of: the valid attachments a GC should keep. */
export async function cachedAttachments(cacheDir: string, networkName: string): Promise<Attachment[]> {
  const entries = await listCacheEntries(cacheDir, { networkName });
  return entries.map(attachmentOfEntry);
}

/** The attachment a cache entry records. */
export function attachmentOfEntry(entry: CacheEntry): Attachment {
  return { network: entry.networkName, containerId: entry.containerId, ifname: entry.ifname };
}
