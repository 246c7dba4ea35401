// CHECK of a network configuration list (0.4.0 or later): every plugin in order, each given
// the cached ADD result as prevResult. A list may opt out with `disableCheck`.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Result } from '../cni/types.js';
import { SUPPORTED_VERSIONS, versionAtLeast } from '../cni/version.js';
import { readCachedResult } from './cache.js';
import type { NetworkConfigList } from './conf.js';
import { attachmentStdin } from './inject.js';
import { pluginFailed, runPlugin } from './invoke.js';
import { cacheDirOf, cacheKeyOf, validateAttachment, type RuntimeConf } from './runtime-conf.js';

function requireCheckVersion(list: NetworkConfigList): void {
  if (!versionAtLeast(list.cniVersion, '0.4.0')) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `configuration version "${list.cniVersion}" does not support the CHECK command`,
      `CHECK needs cniVersion 0.4.0 or later; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
}

async function requireCachedResult(list: NetworkConfigList, rt: RuntimeConf): Promise<Result> {
  const cached = await readCachedResult(cacheDirOf(rt), cacheKeyOf(list.name, rt));
  if (!cached) {
    throw new CniError(
      ErrorCode.UnknownContainer,
      `no cached result for container "${rt.containerId}" interface "${rt.ifname}" in network "${list.name}"`,
      'the attachment was never added, or its cache record is gone',
    );
  }
  return cached;
}

/** Check an attachment; resolves when every plugin agrees, or at once when the list disables CHECK. */
export async function checkNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
  requireCheckVersion(list);
  if (list.disableCheck) return;
  validateAttachment(list.name, rt);
  const prevResult = await requireCachedResult(list, rt);
  for (const plugin of list.plugins) {
    try {
      await runPlugin(plugin, 'CHECK', attachmentStdin(list, plugin, prevResult, rt.capabilityArgs), rt, rt);
    } catch (e) {
      throw pluginFailed(plugin, 'check', e);
    }
  }
}
