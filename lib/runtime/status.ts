// STATUS of a network configuration list (1.1.0 or later; older lists have no STATUS and
// count as ready): every plugin in order, stopping at the first that is not ready.
import { versionAtLeast } from '../cni/version.js';
import type { NetworkConfigList } from './conf.js';
import { networkStdin } from './inject.js';
import { pluginFailed, runPlugin } from './invoke.js';
import { NO_ATTACHMENT, type ExecOptions } from './runtime-conf.js';

/** Resolves when every plugin is ready; rejects with the first plugin's error code (e.g. 50, 51). */
export async function statusNetworkList(list: NetworkConfigList, options: ExecOptions): Promise<void> {
  if (!versionAtLeast(list.cniVersion, '1.1.0')) return;
  for (const plugin of list.plugins) {
    try {
      await runPlugin(plugin, 'STATUS', networkStdin(list, plugin), NO_ATTACHMENT, options);
    } catch (e) {
      throw pluginFailed(plugin, 'status', e);
    }
  }
}
