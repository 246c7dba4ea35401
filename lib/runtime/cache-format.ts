// The result cache record, byte for byte as libcni's `cachedInfo` (libcni/api.go, kind
// "cniCacheV1"): Go struct field order, `config` as base64 (a Go []byte), empty optional
// fields left out (omitempty), maps with sorted keys. cnitool and podman read these files.
import * as z from 'zod/mini';
import { goJsonStruct } from './gojson.js';

export const CACHE_KIND = 'cniCacheV1';

/** One attachment, as the cache file name and the record name it. */
export interface CacheKey {
  networkName: string;
  containerId: string;
  ifname: string;
}

export interface CacheEntry extends CacheKey {
  /** The network configuration list's raw bytes. */
  config: Buffer;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  /** The final ADD result as wire JSON, in the list's version. */
  result?: Record<string, unknown>;
}

function nonEmptyArray<T>(value: T[] | undefined): T[] | undefined {
  return value?.length ? value : undefined;
}

function nonEmptyObject<T extends object>(value: T | undefined): T | undefined {
  return value && Object.keys(value).length ? value : undefined;
}

/** The file content libcni writes for `entry` (no trailing newline, as os.WriteFile of json.Marshal). */
export function encodeCacheEntry(entry: CacheEntry): string {
  return goJsonStruct({
    kind: CACHE_KIND,
    containerId: entry.containerId,
    config: entry.config.toString('base64'),
    ifName: entry.ifname,
    networkName: entry.networkName,
    netns: entry.netns || undefined,
    cniArgs: nonEmptyArray(entry.cniArgs),
    capabilityArgs: nonEmptyObject(entry.capabilityArgs),
    result: nonEmptyObject(entry.result),
  });
}

const pair = z.tuple([z.string(), z.string()]);

const recordSchema = z.looseObject({
  kind: z.literal(CACHE_KIND),
  containerId: z.optional(z.string()),
  config: z.optional(z.nullable(z.string())),
  ifName: z.optional(z.string()),
  networkName: z.optional(z.string()),
  netns: z.optional(z.string()),
  cniArgs: z.optional(z.nullable(z.array(pair))),
  capabilityArgs: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  result: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * libcni before 1.2 (podman 4, containerd 1.6, cnitool 1.1) writes no `netns` into its record:
 * the namespace is then only the `sandbox` of the result's interface named by the attachment.
 */
function sandboxOf(result: Record<string, unknown> | null | undefined, ifname: string): string | undefined {
  const interfaces = result?.interfaces;
  if (!Array.isArray(interfaces)) return undefined;
  for (const candidate of interfaces) {
    const { name, sandbox } = (candidate ?? {}) as { name?: unknown; sandbox?: unknown };
    if (name === ifname && typeof sandbox === 'string' && sandbox) return sandbox;
  }
  return undefined;
}

/** A cache record, or undefined when `text` is not a cniCacheV1 record (older libcni stored the bare result). */
export function decodeCacheEntry(text: string): CacheEntry | undefined {
  const parsed = recordSchema.safeParse(parseJson(text));
  if (!parsed.success) return undefined;
  const r = parsed.data;
  const entry: CacheEntry = {
    networkName: r.networkName ?? '',
    containerId: r.containerId ?? '',
    ifname: r.ifName ?? '',
    config: Buffer.from(r.config ?? '', 'base64'),
  };
  const netns = r.netns || sandboxOf(r.result, entry.ifname);
  if (netns) entry.netns = netns;
  if (r.cniArgs?.length) entry.cniArgs = r.cniArgs.map(([k, v]) => [k, v]);
  if (r.capabilityArgs) entry.capabilityArgs = r.capabilityArgs;
  if (r.result) entry.result = r.result;
  return entry;
}
