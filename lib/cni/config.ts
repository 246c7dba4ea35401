// Network configuration as a plugin receives it on stdin (SPEC.md "Plugin configuration"),
// parsed at the edge with zod; unknown fields are kept so delegation passes them on.
import { CniError, ErrorCode } from './errors.js';
import { parseResult } from './result.js';
import * as z from 'zod/mini';
import { parseOrThrow } from './schema.js';
import type { Attachment, Result } from './types.js';
import { isSupportedVersion, isWellFormedVersion, SUPPORTED_VERSIONS } from './version.js';

const attachment = z.looseObject({ containerID: z.string(), ifname: z.string() });

export const netConfSchema = z.looseObject({
  cniVersion: z.string(),
  name: z.string().check(z.minLength(1)),
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

export function unsupportedVersion(version: string, what = 'config'): CniError {
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

/** Parse the stdin config: bad JSON is code 6, an unknown version 1, a wrong shape 7. */
export function parseNetConf(text: string): ParsedConf {
  const json = decodeJson(text, 'network configuration');
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, 'network configuration must be a JSON object');
  }
  const version = (json as { cniVersion?: unknown }).cniVersion;
  if (typeof version !== 'string' || !isWellFormedVersion(version)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, 'network configuration has no valid "cniVersion"');
  }
  if (!isSupportedVersion(version)) throw unsupportedVersion(version);
  const conf = parseOrThrow(netConfSchema, json, ErrorCode.InvalidNetworkConfig, 'network configuration');
  const parsed: ParsedConf = { conf, text };
  if (conf.prevResult !== undefined && conf.prevResult !== null) {
    parsed.prevResult = parseResult(conf.prevResult, conf.cniVersion);
  }
  return parsed;
}

/** GC's list of attachments to keep; libcni sends both the current and the older key. */
export function validAttachments(conf: NetConf): Attachment[] | undefined {
  const list = conf['cni.dev/valid-attachments'] ?? conf['cni.dev/attachments'];
  return list?.map((a) => ({ containerID: a.containerID, ifname: a.ifname }));
}
