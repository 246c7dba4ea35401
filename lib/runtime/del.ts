// DEL of a network configuration list: every plugin in reverse order, each given the cached
// ADD result as prevResult (lists at 0.4.0 or later), then the cache record goes. With no
// record the plugins still run, without prevResult: DEL must work after a lost cache too.
import { versionAtLeast } from '../cni/version.js';
import type { Result } from '../cni/types.js';
import { readCachedResult, removeCacheEntry } from './cache.js';
import type { NetworkConfigList } from './conf.js';
import { attachmentStdin } from './inject.js';
import { pluginFailed, runPlugin } from './invoke.js';
import { cacheDirOf, cacheKeyOf, validateAttachment, type RuntimeConf } from './runtime-conf.js';

// As libcni: a record that cannot be read is dropped, so it cannot block the DEL for ever.
async function prevResultForDel(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
  if (!versionAtLeast(list.cniVersion, '0.4.0')) return undefined;
  try {
    return await readCachedResult(cacheDirOf(rt), cacheKeyOf(list.name, rt));
  } catch {
    await removeCacheEntry(cacheDirOf(rt), cacheKeyOf(list.name, rt)).catch(() => undefined);
    return undefined;
  }
}

/** Detach a container from a network; stops at the first failing plugin (the cache record is kept then). */
export async function delNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
  validateAttachment(list.name, rt);
  const prevResult = await prevResultForDel(list, rt);
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await runPlugin(plugin, 'DEL', attachmentStdin(list, plugin, prevResult, rt.capabilityArgs), rt, rt);
    } catch (e) {
      throw pluginFailed(plugin, 'delete', e);
    }
  }
  await removeCacheEntry(cacheDirOf(rt), cacheKeyOf(list.name, rt));
}
