// Network configuration lists as libcni reads them: `.conflist` files, and single-plugin
// `.conf`/`.json` files turned into a one-plugin list. The list's bytes are kept as read,
// because the result cache stores them and other runtimes read them back.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeJson } from '../cni/config.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import * as z from 'zod/mini';
import { describeIssues } from '../cni/schema.js';
import type { CniVersion } from '../cni/version.js';
import { networkNameProblem } from '../names/index.js';
import { selectListVersion } from './conf-version.js';
import { goJson } from './gojson.js';

export interface PluginConfig {
  type: string;
  /** The plugin's own `name` field, if any; only used to describe the plugin in errors. */
  name?: string;
  /** The capabilities the plugin declares, `false` ones included. */
  capabilities: Record<string, boolean>;
  /** The plugin's configuration object exactly as written. */
  conf: Record<string, unknown>;
}

export interface NetworkConfigList {
  name: string;
  /** The version the chain runs at (from `cniVersion`/`cniVersions`). */
  cniVersion: CniVersion;
  disableCheck: boolean;
  disableGC: boolean;
  plugins: PluginConfig[];
  /** The list's raw bytes (for a converted `.conf`, the list libcni would have built). */
  bytes: Buffer;
  /** Where the list came from, for messages. */
  source: string;
}

export const CONFLIST_EXTENSIONS = ['.conflist'] as const;
export const CONF_EXTENSIONS = ['.conf', '.json'] as const;

// libcni accepts these flags as booleans or as the strings "true"/"false" in any case.
const boolish = z.union([z.boolean(), z.string()]);

const capabilities = z.record(z.string(), z.boolean());

const pluginSchema = z.looseObject({
  type: z.string().check(z.minLength(1, 'missing "type"')),
  name: z.optional(z.string()),
  capabilities: z.optional(capabilities),
});

const listSchema = z.looseObject({
  name: z.string(),
  cniVersion: z.optional(z.string()),
  cniVersions: z.optional(z.array(z.string())),
  disableCheck: z.optional(boolish),
  disableGC: z.optional(boolish),
  plugins: z.array(pluginSchema).check(z.minLength(1, 'no plugins in list')),
});

const singleSchema = z.looseObject({
  type: z.string().check(z.minLength(1, 'missing "type"')),
  name: z.optional(z.string()),
  cniVersion: z.optional(z.string()),
  capabilities: z.optional(capabilities),
});

function parseShape<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problem = describeIssues(parsed.error);
  throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what}: ${problem}`, problem);
}

export function validateNetworkName(name: string, where: string): void {
  const problem = networkNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `${where}: invalid network name "${name}"`, problem);
}

function readFlag(value: boolean | string | undefined, key: string, where: string): boolean {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw new CniError(ErrorCode.InvalidNetworkConfig, `${where}: invalid value "${value}" for ${key}`, 'expected true or false');
}

function toPluginConfig(raw: Record<string, unknown>, parsed: z.output<typeof pluginSchema>): PluginConfig {
  const plugin: PluginConfig = { type: parsed.type, capabilities: parsed.capabilities ?? {}, conf: raw };
  if (parsed.name) plugin.name = parsed.name;
  return plugin;
}

function decodeObject(text: string, what: string): Record<string, unknown> {
  const json = decodeJson(text, what);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, `${what} must be a JSON object`);
  }
  return json as Record<string, unknown>;
}

/** Parse a network configuration list: bad JSON is code 6, a wrong shape or name 7, an unsupported version 1. */
export function parseConfList(bytes: Buffer | string, source = 'network configuration list'): NetworkConfigList {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const raw = decodeObject(buffer.toString('utf8'), source);
  const list = parseShape(listSchema, raw, source);
  validateNetworkName(list.name, source);
  const rawPlugins = raw.plugins as Record<string, unknown>[];
  return {
    name: list.name,
    cniVersion: selectListVersion(list, source),
    disableCheck: readFlag(list.disableCheck, 'disableCheck', source),
    disableGC: readFlag(list.disableGC, 'disableGC', source),
    plugins: list.plugins.map((p, i) => toPluginConfig(rawPlugins[i] ?? {}, p)),
    bytes: buffer,
    source,
  };
}

/** Parse a single-plugin configuration (`.conf`): an object with a `type`. */
export function parseSingleConf(bytes: Buffer | string, source = 'network configuration'): Record<string, unknown> {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const raw = decodeObject(text, source);
  parseShape(singleSchema, raw, source);
  return raw;
}

/** The one-plugin list libcni makes of a single `.conf` (same bytes: Go marshals maps sorted). */
export function confListFromConf(conf: Record<string, unknown>, source = 'network configuration'): NetworkConfigList {
  const listObject = {
    name: typeof conf.name === 'string' ? conf.name : '',
    cniVersion: typeof conf.cniVersion === 'string' ? conf.cniVersion : '',
    plugins: [conf],
  };
  return parseConfList(Buffer.from(goJson(listObject)), source);
}

async function readConfFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot read network configuration ${path}`, (e as Error).message);
  }
}

function isConfListFile(path: string): boolean {
  return (CONFLIST_EXTENSIONS as readonly string[]).includes(extname(path));
}

function isConfFile(path: string): boolean {
  return (CONF_EXTENSIONS as readonly string[]).includes(extname(path));
}

/** Load a `.conflist`, or a `.conf`/`.json` converted into a list. */
export async function loadConfListFile(path: string): Promise<NetworkConfigList> {
  if (isConfListFile(path)) return parseConfList(await readConfFile(path), path);
  if (isConfFile(path)) return confListFromConf(parseSingleConf(await readConfFile(path), path), path);
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `${path}: not a network configuration file`,
    `expected one of ${[...CONFLIST_EXTENSIONS, ...CONF_EXTENSIONS].join(', ')}`,
  );
}
