// Network configuration as a plugin receives it on stdin (SPEC.md "Plugin configuration"),
// parsed at the edge with zod; unknown fields are kept so delegation passes them on.
import type { Command } from './env.js';
import { CniError, ErrorCode } from './errors.js';
import { parseResult } from './result.js';
import { networkNameProblem } from '../names/index.js';
import * as z from 'zod/mini';
import { describeIssues, parseOrThrow } from './schema.js';
import type { Attachment, Result } from './types.js';
import { isSupportedVersion, SUPPORTED_VERSIONS } from './version.js';

const attachment = z.looseObject({ containerID: z.string(), ifname: z.string() });

export const netConfSchema = z.looseObject({
  cniVersion: z.string(),
  name: z.string().check(
    z.superRefine((name, ctx) => {
      const problem = networkNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: name });
    }),
  ),
  type: z.string().check(z.minLength(1)),
  capabilities: z.optional(z.record(z.string(), z.boolean())),
  ipam: z.optional(z.looseObject({ type: z.string().check(z.minLength(1)) })),
  dns: z.optional(z.looseObject({})),
  args: z.optional(
    z.looseObject({
      cni: z.optional(
        z.looseObject({
          ips: z.optional(z.array(z.string())),
          mac: z.optional(z.string()),
        }),
      ),
    }),
  ),
  runtimeConfig: z.optional(z.looseObject({})),
  // Our own: the whole call's time budget (lib/system/budget.ts); a runtime waits longer.
  timeoutSeconds: z.optional(z.number().check(z.positive(), z.lte(3600))),
  prevResult: z.optional(z.unknown()),
  'cni.dev/valid-attachments': z.optional(z.array(attachment)),
  'cni.dev/attachments': z.optional(z.array(attachment)),
});

export type NetConf = z.output<typeof netConfSchema>;

export interface ParsedConf {
  conf: NetConf;
  /** The config's `prevResult` in the internal model, when present. */
  prevResult?: Result;
  /** The exact bytes received, for delegation. */
  text: string;
}

function unsupportedVersion(version: string, what = 'config'): CniError {
  return new CniError(
    ErrorCode.IncompatibleVersion,
    `incompatible CNI versions: ${what} is "${version}", plugin supports ${SUPPORTED_VERSIONS.join(', ')}`,
    `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
  );
}

export function decodeJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `cannot decode ${what} as JSON`, (e as Error).message);
  }
}

/**
 * Fields DEL can do without. SPEC: DEL cleans up as much as it can, so a malformed one is
 * dropped instead of failing the DEL (and not passed on to a delegated IPAM either).
 */
const UNNEEDED_BY_DEL = new Set([
  'prevResult',
  'runtimeConfig',
  'timeoutSeconds',
  'args',
  'dns',
  'capabilities',
  'cni.dev/valid-attachments',
  'cni.dev/attachments',
]);

/** Only ADD (a chained plugin's input) and CHECK work from prevResult; the others ignore a broken one. */
const USES_PREV_RESULT: ReadonlySet<Command | undefined> = new Set(['ADD', 'CHECK', undefined]);

/** The cniVersion a config asks for, when it is one we speak; for errors raised before the config is parsed. */
export function requestedVersion(text: string): string | undefined {
  try {
    const version = (JSON.parse(text) as { cniVersion?: unknown } | null)?.cniVersion;
    return isSupportedVersion(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

function decodeObject(text: string): Record<string, unknown> {
  const json = decodeJson(text, 'network configuration');
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, 'network configuration must be a JSON object');
  }
  return json as Record<string, unknown>;
}

/** As libcni's version decoder: no cniVersion means 0.1.0, which nobody speaks any more (1); a non-string cannot be decoded (6). */
function checkVersion(json: Record<string, unknown>): void {
  const version = json.cniVersion ?? '';
  if (typeof version !== 'string') {
    throw new CniError(ErrorCode.DecodingFailure, 'network configuration: "cniVersion" must be a string', `got ${JSON.stringify(version)}`);
  }
  if (!isSupportedVersion(version)) throw unsupportedVersion(version || '(none)');
}

/** The schema's view of `json`; for DEL, without the unneeded fields that do not parse. */
function parseShape(json: Record<string, unknown>, command: Command | undefined): { conf: NetConf; dropped: string[] } {
  const first = netConfSchema.safeParse(json);
  if (first.success) return { conf: first.data, dropped: [] };
  const failing = [...new Set(first.error.issues.map((issue) => String(issue.path[0] ?? '')))];
  if (command !== 'DEL' || !failing.every((key) => UNNEEDED_BY_DEL.has(key))) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid network configuration', describeIssues(first.error));
  }
  const rest = Object.fromEntries(Object.entries(json).filter(([key]) => !failing.includes(key)));
  return { conf: parseOrThrow(netConfSchema, rest, ErrorCode.InvalidNetworkConfig, 'network configuration'), dropped: failing };
}

function prevResultOf(conf: NetConf, command: Command | undefined): Result | undefined {
  if (conf.prevResult === undefined || conf.prevResult === null) return undefined;
  if (USES_PREV_RESULT.has(command)) return parseResult(conf.prevResult, conf.cniVersion);
  try {
    return parseResult(conf.prevResult, conf.cniVersion);
  } catch {
    return undefined;
  }
}

/**
 * Parse the stdin config: bad JSON is code 6, a missing or unknown version 1, a wrong shape 7.
 * `command` relaxes what that command does not use (DEL: every optional field, prevResult).
 */
export function parseNetConf(text: string, command?: Command): ParsedConf {
  const json = decodeObject(text);
  checkVersion(json);
  let { conf, dropped } = parseShape(json, command);
  const prevResult = prevResultOf(conf, command);
  if (command === 'DEL' && conf.prevResult !== undefined && prevResult === undefined) {
    const { prevResult: _broken, ...rest } = conf;
    conf = rest;
    dropped = [...dropped, 'prevResult'];
  }
  const parsed: ParsedConf = { conf, text: dropped.length > 0 ? JSON.stringify(conf) : text };
  if (prevResult !== undefined) parsed.prevResult = prevResult;
  return parsed;
}

/** GC's list of attachments to keep; libcni sends both the current and the older key. */
export function validAttachments(conf: NetConf): Attachment[] | undefined {
  const list = conf['cni.dev/valid-attachments'] ?? conf['cni.dev/attachments'];
  return list?.map((a) => ({ network: conf.name, containerId: a.containerID, ifname: a.ifname }));
}
