// A profile: one plugin set under test. It names where the plugins are, the network
// configuration list to run them with, and what the set claims (spec versions, capabilities)
// with the capability arguments to prove the claims; `expectedFailures` marks known gaps.
// Strings in the conflist may say `{{stateDir}}`: each case gets a fresh directory there, so
// IPAM stores and other state never reach the machine's /var/lib/cni.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as z from 'zod/mini';
import { describeIssues } from '../lib/cni/schema.js';
import { interfaceNameProblem } from '../lib/names/index.js';
import { SUPPORTED_VERSIONS, compareVersions, type CniVersion } from '../lib/cni/version.js';
import { parseConfList } from '../lib/runtime/conf.js';

/** The spec versions the harness knows how to check (results before 0.3.0 are another model). */
export const SPEC_VERSIONS: readonly CniVersion[] = SUPPORTED_VERSIONS;

/** Capabilities whose effect the harness can observe, from CONVENTIONS.md. */
const KNOWN_CAPABILITIES = ['portMappings', 'ips', 'mac'] as const;

const STATE_DIR_PLACEHOLDER = '{{stateDir}}';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

export interface CapabilityArgs {
  portMappings?: PortMapping[];
  ips?: string[];
  mac?: string;
}

export interface Profile {
  name: string;
  title: string;
  description: string;
  /** The profile file, for messages. */
  source: string;
  /** Absolute plugin directories, searched in order. */
  pluginDirs: string[];
  /** The network configuration list, placeholders unresolved. */
  conflist: Record<string, unknown>;
  claims: { versions: CniVersion[]; capabilities: string[] };
  capabilityArgs: CapabilityArgs;
  /** CNI_IFNAME for attachments. */
  ifname: string;
  /** case id → why it is known to fail. */
  expectedFailures: Record<string, string>;
  /** Free text for the generated documentation (known gaps and their reasons). */
  notes: string[];
}

const portMapping = z.object({
  hostPort: z.number().check(z.int(), z.gte(1), z.lte(65535)),
  containerPort: z.number().check(z.int(), z.gte(1), z.lte(65535)),
  protocol: z.string(),
  hostIP: z.optional(z.string()),
});

const profileSchema = z.object({
  name: z.string().check(z.regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a profile name is lower-case letters, digits, "_", "." and "-"')),
  title: z.optional(z.string()),
  description: z.optional(z.string()),
  pluginDirs: z.array(z.string()).check(z.minLength(1)),
  conflist: z.looseObject({}),
  claims: z.object({
    versions: z.array(z.enum(SUPPORTED_VERSIONS)).check(z.minLength(1)),
    capabilities: z.optional(z.array(z.enum(KNOWN_CAPABILITIES))),
  }),
  capabilityArgs: z.optional(
    z.object({
      portMappings: z.optional(z.array(portMapping).check(z.minLength(1))),
      ips: z.optional(z.array(z.string()).check(z.minLength(1))),
      mac: z.optional(z.string().check(z.regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, 'expected a MAC address'))),
    }),
  ),
  ifname: z.optional(z.string().check(z.refine((name) => interfaceNameProblem(name) === undefined, 'expected an interface name'))),
  expectedFailures: z.optional(z.record(z.string(), z.string())),
  notes: z.optional(z.array(z.string())),
});

export class ProfileError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'ProfileError';
  }
}

/** Replace `{{stateDir}}` in every string of `value` (deeply). */
export function substituteStateDir<T>(value: T, stateDir: string): T {
  if (typeof value === 'string') return value.split(STATE_DIR_PLACEHOLDER).join(stateDir) as T;
  if (Array.isArray(value)) return value.map((v) => substituteStateDir(v, stateDir)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteStateDir(v, stateDir)])) as T;
  }
  return value;
}

function requireCapabilityArgs(source: string, capabilities: readonly string[], args: CapabilityArgs): void {
  const missing = capabilities.filter((c) => args[c as keyof CapabilityArgs] === undefined);
  if (missing.length) throw new ProfileError(source, `claimed capabilities need capabilityArgs: ${missing.join(', ')}`);
}

/** Validate a parsed profile; relative plugin directories are taken from `baseDir`. */
export function parseProfile(value: unknown, source: string, baseDir: string): Profile {
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) throw new ProfileError(source, describeIssues(parsed.error));
  const p = parsed.data;
  const capabilities = [...(p.claims.capabilities ?? [])];
  const capabilityArgs = (p.capabilityArgs ?? {}) as CapabilityArgs;
  requireCapabilityArgs(source, capabilities, capabilityArgs);
  try {
    parseConfList(JSON.stringify(substituteStateDir(p.conflist, '/nonexistent')), `${source}: conflist`);
  } catch (e) {
    throw new ProfileError(source, (e as Error).message);
  }
  return {
    name: p.name,
    title: p.title ?? p.name,
    description: p.description ?? '',
    source,
    pluginDirs: p.pluginDirs.map((dir) => resolve(baseDir, dir)),
    conflist: p.conflist,
    claims: { versions: [...p.claims.versions].sort(compareVersions) as CniVersion[], capabilities },
    capabilityArgs,
    ifname: p.ifname ?? 'eth0',
    expectedFailures: p.expectedFailures ?? {},
    notes: p.notes ?? [],
  };
}

export interface ProfileOverrides {
  /** Replaces the profile's plugin directories (relative to the working directory). */
  pluginDirs?: string[];
}

export async function loadProfile(path: string, overrides: ProfileOverrides = {}): Promise<Profile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ProfileError(path, (e as Error).message);
  }
  const profile = parseProfile(json, path, dirname(resolve(path)));
  if (overrides.pluginDirs?.length) profile.pluginDirs = overrides.pluginDirs.map((dir) => resolve(dir));
  return profile;
}

/** The newest version the profile claims: what cases run at unless they say otherwise. */
export function defaultVersion(profile: Profile): CniVersion {
  const newest = profile.claims.versions.at(-1);
  if (!newest) throw new ProfileError(profile.source, 'claims no version');
  return newest;
}

export function claimsVersion(profile: Profile, version: string): boolean {
  return (profile.claims.versions as readonly string[]).includes(version);
}

export function claimsCapability(profile: Profile, capability: string): boolean {
  return profile.claims.capabilities.includes(capability);
}
