// What a case works with: the profile's network in the case's sandbox (at any claimed
// version), attachments in fresh container namespaces, the runtime operations of lib/runtime
// pointed at the sandbox, raw single-plugin runs for protocol checks, and snapshots.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Command } from '../lib/cni/env.js';
import type { Result } from '../lib/cni/types.js';
import { addNetworkList } from '../lib/runtime/add.js';
import { checkNetworkList } from '../lib/runtime/check.js';
import { parseConfList, type NetworkConfigList, type PluginConfig } from '../lib/runtime/conf.js';
import { delNetworkList } from '../lib/runtime/del.js';
import { attachmentStdin, networkStdin } from '../lib/runtime/inject.js';
import type { ExecOptions, RuntimeConf } from '../lib/runtime/runtime-conf.js';
import type { Namespace } from './netns.js';
import { runOutcome, type ProcessOutcome } from './process.js';
import { defaultVersion, substituteStateDir, type CapabilityArgs, type Profile } from './profile.js';
import type { Sandbox } from './sandbox.js';
import { settledSnapshot, takeSnapshot, type Snapshot } from './snapshot.js';

export interface Attachment {
  containerId: string;
  ifname: string;
  netns: Namespace;
}

/** A plugin the cases run directly: one of the chain, or a delegate (IPAM) with its parent's configuration. */
export interface PluginTarget {
  type: string;
  /** Position in the chain of the plugin whose configuration it receives. */
  index: number;
  delegated: boolean;
}

export interface CallOptions {
  version?: string;
  capabilityArgs?: CapabilityArgs;
}

export interface InvokeOptions {
  attachment?: Attachment;
  /** Changes to the environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  stdin?: string;
}

export interface ContextOptions {
  /** Per plugin run. */
  timeoutMs: number;
  /** Names of every plugin executable of the profile's directories. */
  available: ReadonlySet<string>;
}

/** The runner's own environment without what a runtime would not pass (stale CNI_*, Node's CA bundle). */
export function pluginBaseEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('CNI_') && name !== 'NODE_EXTRA_CA_CERTS'));
}

let attachmentCounter = 0;

export class CaseContext {
  readonly version: string;
  private readonly baseEnv = pluginBaseEnv();

  constructor(
    readonly profile: Profile,
    readonly sandbox: Sandbox,
    readonly options: ContextOptions,
  ) {
    this.version = defaultVersion(profile);
  }

  get ifname(): string {
    return this.profile.ifname;
  }

  /** The profile's network in this sandbox, at `version` (default: the newest claimed). */
  network(version: string = this.version): NetworkConfigList {
    const conf = substituteStateDir(this.profile.conflist, this.sandbox.stateDir);
    const pinned: Record<string, unknown> = { ...conf, cniVersion: version };
    delete pinned.cniVersions;
    return parseConfList(JSON.stringify(pinned), `${this.profile.name} at ${version}`);
  }

  /** The chain's plugins, then the delegated IPAM plugins that are present in the plugin directories. */
  targets(list: NetworkConfigList = this.network()): PluginTarget[] {
    const chain = list.plugins.map((config, index) => ({ type: config.type, index, delegated: false }));
    const delegates = list.plugins.flatMap((config, index) => {
      const ipam = config.conf.ipam as { type?: unknown } | undefined;
      const type = typeof ipam?.type === 'string' ? ipam.type : undefined;
      return type && this.options.available.has(type) ? [{ type, index, delegated: true }] : [];
    });
    return [...chain, ...delegates];
  }

  /** A container namespace and a container ID no other attachment of the run uses. */
  async attachment(options: { ifname?: string; role?: string } = {}): Promise<Attachment> {
    attachmentCounter += 1;
    const netns = await this.sandbox.namespace(options.role ?? 'ctr');
    return {
      containerId: `conformance-${attachmentCounter}-${randomBytes(4).toString('hex')}`,
      ifname: options.ifname ?? this.ifname,
      netns,
    };
  }

  execOptions(): ExecOptions {
    return { pluginDirs: this.sandbox.pluginDirs, timeoutMs: this.options.timeoutMs, env: this.baseEnv };
  }

  runtimeConf(att: Attachment, capabilityArgs?: CapabilityArgs): RuntimeConf {
    return {
      ...this.execOptions(),
      containerId: att.containerId,
      netns: att.netns.path,
      ifname: att.ifname,
      cacheDir: this.sandbox.cacheDir,
      ...(capabilityArgs && { capabilityArgs: capabilityArgs as Record<string, unknown> }),
    };
  }

  /** ADD through lib/runtime (chained, cached, rolled back on failure). */
  add(att: Attachment, options: CallOptions = {}): Promise<Result> {
    return addNetworkList(this.network(options.version), this.runtimeConf(att, options.capabilityArgs));
  }

  del(att: Attachment, options: CallOptions = {}): Promise<void> {
    return delNetworkList(this.network(options.version), this.runtimeConf(att, options.capabilityArgs));
  }

  check(att: Attachment, options: CallOptions = {}): Promise<void> {
    return checkNetworkList(this.network(options.version), this.runtimeConf(att, options.capabilityArgs));
  }

  /** The CNI_* environment of one raw run, as libcni sets it (every variable, empty ones included). */
  cniEnv(command: string, att: Attachment | undefined): Record<string, string> {
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: att?.containerId ?? '',
      CNI_NETNS: att?.netns.path ?? '',
      CNI_IFNAME: att?.ifname ?? '',
      CNI_ARGS: '',
      CNI_PATH: this.sandbox.pluginDirs.join(':'),
    };
  }

  /** Run one plugin by type, raw: its exit code and output are the case's to judge. */
  invoke(type: string, command: Command | string, options: InvokeOptions = {}): Promise<ProcessOutcome> {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv, ...this.cniEnv(command, options.attachment) };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const shim = join(this.sandbox.pluginDirs[0] as string, type);
    return runOutcome(shim, [], { env, stdin: options.stdin ?? '', timeoutMs: this.options.timeoutMs });
  }

  /** The stdin a runtime sends `target` for an attachment command. */
  attachmentStdin(target: PluginTarget, options: CallOptions & { prevResult?: Result } = {}): string {
    const list = this.network(options.version);
    return attachmentStdin(
      list,
      this.configIn(list, target),
      options.prevResult,
      (options.capabilityArgs ?? {}) as Record<string, unknown>,
    );
  }

  /** The stdin a runtime sends `target` for STATUS or GC. */
  networkStdin(target: PluginTarget, version?: string, extra: Record<string, unknown> = {}): string {
    const list = this.network(version);
    return networkStdin(list, this.configIn(list, target), extra);
  }

  /** The host namespace and state directory, once they stopped changing. */
  snapshot(): Promise<Snapshot> {
    return settledSnapshot(() => takeSnapshot(this.sandbox.host, this.sandbox.stateDir));
  }

  private configIn(list: NetworkConfigList, target: PluginTarget): PluginConfig {
    const config = list.plugins[target.index];
    if (!config) throw new Error(`no plugin at position ${target.index} of ${list.source}`);
    return config;
  }
}
