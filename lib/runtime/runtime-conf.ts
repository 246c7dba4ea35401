// What a runtime supplies besides the network configuration: where plugins live, how long
// they may take, and for attachment commands the attachment itself (SPEC.md section 3,
// "Attachment Parameters"); and the CNI_* environment built from it.
import type { Command } from '../cni/env.js';
import { validateContainerId, validateIfname } from '../cni/env.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import type { CacheKey } from './cache-format.js';
import { validateNetworkName } from './conf.js';

export const DEFAULT_CACHE_DIR = '/var/lib/cni';

export interface ExecOptions {
  /** CNI_PATH: where plugins are looked up, in order. */
  pluginDirs: string[];
  /** Per plugin run; execPlugin's default when absent. */
  timeoutMs?: number;
  /** The environment plugins inherit before CNI_* is set (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface RuntimeConf extends ExecOptions {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs, in order. */
  args?: [string, string][];
  /** Capability arguments; each plugin gets those its `capabilities` enable, as `runtimeConfig`. */
  capabilityArgs?: Record<string, unknown>;
  /** Default /var/lib/cni, as libcni. */
  cacheDir?: string;
}

/** The attachment fields of a RuntimeConf; all empty for STATUS, GC and VERSION. */
export interface AttachmentEnv {
  containerId: string;
  netns: string;
  ifname: string;
  args?: [string, string][];
}

export const NO_ATTACHMENT: AttachmentEnv = { containerId: '', netns: '', ifname: '' };

export function cacheDirOf(rt: { cacheDir?: string }): string {
  return rt.cacheDir || DEFAULT_CACHE_DIR;
}

/** Where the cache keeps this attachment of `networkName`. */
export function cacheKeyOf(networkName: string, rt: RuntimeConf): CacheKey {
  return { networkName, containerId: rt.containerId, ifname: rt.ifname };
}

/** CNI_ARGS as libcni writes it: `K=V` pairs joined with `;`. */
export function stringifyCniArgs(pairs: readonly [string, string][] = []): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}

/** The environment of one plugin run; every CNI_* variable is set, empty ones included, as libcni does. */
export function pluginEnv(command: Command, attachment: AttachmentEnv, options: ExecOptions): NodeJS.ProcessEnv {
  return {
    ...(options.env ?? process.env),
    CNI_COMMAND: command,
    CNI_CONTAINERID: attachment.containerId,
    CNI_NETNS: attachment.netns,
    CNI_ARGS: stringifyCniArgs(attachment.args),
    CNI_IFNAME: attachment.ifname,
    CNI_PATH: options.pluginDirs.join(':'),
  };
}

/**
 * Check what names files and reaches plugins before anything runs: the container ID and the
 * interface name end up in the cache file name, so neither may carry a "/".
 */
export function validateAttachment(networkName: string, rt: RuntimeConf): void {
  if (!rt.containerId) throw new CniError(ErrorCode.UnknownContainer, 'missing container ID');
  validateContainerId(rt.containerId);
  validateNetworkName(networkName, `network "${networkName}"`);
  validateIfname(rt.ifname);
}
