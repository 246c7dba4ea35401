// ADD of a network configuration list: every plugin in order, each one's result the next
// one's prevResult; the final result is cached. A failure stops the chain and rolls it back
// the way runtimes clean up a failed ADD: DEL of the whole chain in reverse, the failed plugin included.
import { asCniError, type CniError } from '../cni/errors.js';
import { convertResult, parseResult } from '../cni/result.js';
import type { Result } from '../cni/types.js';
import { removeCacheEntry, writeCacheEntry } from './cache.js';
import type { NetworkConfigList, PluginConfig } from './conf.js';
import { attachmentStdin } from './inject.js';
import { decodeResult, describePlugin, pluginFailed, runPlugin, withDetails } from './invoke.js';
import { cacheDirOf, cacheKeyOf, validateAttachment, type RuntimeConf } from './runtime-conf.js';

async function addPlugin(list: NetworkConfigList, plugin: PluginConfig, prevResult: Result | undefined, rt: RuntimeConf): Promise<Result> {
  const stdin = attachmentStdin(list, plugin, prevResult, rt.capabilityArgs);
  const stdout = await runPlugin(plugin, 'ADD', stdin, rt, rt);
  return decodeResult(stdout, plugin, list.cniVersion);
}

async function cacheResult(list: NetworkConfigList, rt: RuntimeConf, result: Result): Promise<void> {
  await writeCacheEntry(cacheDirOf(rt), {
    ...cacheKeyOf(list.name, rt),
    config: list.bytes,
    netns: rt.netns,
    cniArgs: rt.args,
    capabilityArgs: rt.capabilityArgs,
    result: convertResult(result, list.cniVersion),
  });
}

/** DEL of every plugin in reverse, without prevResult (nothing was cached); returns one line per failure. */
async function rollBack(list: NetworkConfigList, rt: RuntimeConf): Promise<string[]> {
  const failures: string[] = [];
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await runPlugin(plugin, 'DEL', attachmentStdin(list, plugin, undefined, rt.capabilityArgs), rt, rt);
    } catch (e) {
      const error = asCniError(e);
      failures.push(`rollback: DEL of plugin ${describePlugin(plugin)} failed: ${error.message}`);
    }
  }
  // A record left by an earlier ADD of this attachment describes what was just removed.
  if (!failures.length) await removeCacheEntry(cacheDirOf(rt), cacheKeyOf(list.name, rt)).catch(() => undefined);
  return failures;
}

async function failAfterRollBack(list: NetworkConfigList, rt: RuntimeConf, error: CniError): Promise<never> {
  const failures = await rollBack(list, rt);
  throw withDetails(error, failures.length ? failures.join('\n') : 'rolled back: DEL succeeded for every plugin of the chain');
}

/**
 * Attach a container to a network: ADD through the chain, cache the final result (in the list's
 * version) and return it. On any failure the chain is rolled back and the first error is thrown,
 * with its code; rollback failures are listed in its details.
 */
export async function addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<Result> {
  validateAttachment(list.name, rt);
  let result: Result | undefined;
  for (const plugin of list.plugins) {
    try {
      result = await addPlugin(list, plugin, result, rt);
    } catch (e) {
      return failAfterRollBack(list, rt, pluginFailed(plugin, 'add', e));
    }
  }
  // parseConfList guarantees at least one plugin, so there is a result here; it is handed on
  // in the list's version, exactly as cached.
  const final = parseResult(convertResult(result as Result, list.cniVersion));
  try {
    await cacheResult(list, rt, final);
  } catch (e) {
    return failAfterRollBack(list, rt, asCniError(e));
  }
  return final;
}
