// One plugin of a chain, run once: find it in CNI_PATH, execute it (lib/cni/exec.ts), decode
// its result; and failures worded the way libcni words them, keeping the plugin's error code.
import { decodeJson } from '../cni/config.js';
import type { Command } from '../cni/env.js';
import { asCniError, CniError } from '../cni/errors.js';
import { execPlugin, findPlugin } from '../cni/exec.js';
import { parseResult } from '../cni/result.js';
import type { Result } from '../cni/types.js';
import type { PluginConfig } from './conf.js';
import { pluginEnv, type AttachmentEnv, type ExecOptions } from './runtime-conf.js';

/** `type="zone" name="web"`, as libcni names a plugin in its errors. */
export function describePlugin(plugin: PluginConfig): string {
  return plugin.name ? `type="${plugin.type}" name="${plugin.name}"` : `type="${plugin.type}"`;
}

/** Run `plugin` with `command`; resolves with its stdout. A missing plugin is code 50, a timeout 101. */
export async function runPlugin(
  plugin: PluginConfig,
  command: Command,
  stdin: string,
  attachment: AttachmentEnv,
  options: ExecOptions,
): Promise<string> {
  const executable = findPlugin(plugin.type, options.pluginDirs);
  const env = pluginEnv(command, attachment, options);
  return execPlugin({ executable, env, stdin, timeoutMs: options.timeoutMs });
}

/** A plugin's ADD output as a result; one without `cniVersion` is read as `configVersion`, like libcni. */
export function decodeResult(stdout: string, plugin: PluginConfig, configVersion: string): Result {
  const json = decodeJson(stdout, `result of plugin ${describePlugin(plugin)}`);
  return parseResult(json, configVersion);
}

/** The error of one step of a chain: the plugin's code and details, the message saying which plugin did what. */
export function pluginFailed(plugin: PluginConfig, action: string, error: unknown): CniError {
  const cause = asCniError(error);
  return new CniError(cause.code, `plugin ${describePlugin(plugin)} failed (${action}): ${cause.message}`, cause.details);
}

/** The same error with more details appended (e.g. how a rollback went). */
export function withDetails(error: CniError, more: string): CniError {
  const details = error.details ? `${error.details}\n${more}` : more;
  return new CniError(error.code, error.message, details);
}
