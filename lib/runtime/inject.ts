// The request configuration of one plugin in a chain (SPEC.md "Deriving request configuration
// from plugin configuration"): the plugin's own config plus the list's `name` and `cniVersion`;
// for ADD/DEL/CHECK also `prevResult` and `runtimeConfig`, with `capabilities` taken out.
import { convertResult } from '../cni/result.js';
import type { Result } from '../cni/types.js';
import type { NetworkConfigList, PluginConfig } from './conf.js';
import { goJson } from './gojson.js';

/** The capability arguments the plugin enables with `true`; only those reach it. */
export function runtimeConfigFor(capabilities: Record<string, boolean>, capabilityArgs: Record<string, unknown>): Record<string, unknown> {
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(capabilities)) {
    if (enabled && Object.hasOwn(capabilityArgs, capability) && capabilityArgs[capability] !== undefined) {
      runtimeConfig[capability] = capabilityArgs[capability];
    }
  }
  return runtimeConfig;
}

function withListIdentity(list: NetworkConfigList, plugin: PluginConfig): Record<string, unknown> {
  return { ...plugin.conf, name: list.name, cniVersion: list.cniVersion };
}

/** Stdin of an ADD, DEL or CHECK: `prevResult` in the list's version, `runtimeConfig` when any capability applies. */
export function attachmentStdin(
  list: NetworkConfigList,
  plugin: PluginConfig,
  prevResult: Result | undefined,
  capabilityArgs: Record<string, unknown> = {},
): string {
  const conf = withListIdentity(list, plugin);
  delete conf.capabilities;
  if (prevResult) conf.prevResult = convertResult(prevResult, list.cniVersion);
  const runtimeConfig = runtimeConfigFor(plugin.capabilities, capabilityArgs);
  // As libcni: a runtimeConfig written in the file stays unless the runtime has capability data for it.
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  return goJson(conf);
}

/** Stdin of a STATUS or GC: the plugin config with the list's name and version, plus `extra` keys. */
export function networkStdin(list: NetworkConfigList, plugin: PluginConfig, extra: Record<string, unknown> = {}): string {
  return goJson({ ...withListIdentity(list, plugin), ...extra });
}
