// Where zonectl, acting as the CNI runtime of nspawn machines, finds networks, plugins and
// its result cache. The defaults are the ones libcni runtimes (cnitool, podman) use.
import { DEFAULT_CACHE_DIR } from '../runtime/runtime-conf.js';

export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
export const DEFAULT_PLUGIN_DIRS: readonly string[] = ['/opt/cni/bin', '/usr/lib/cni'];
export { DEFAULT_CACHE_DIR };

export interface RuntimePaths {
  /** Network configuration lists (`*.conflist`, `*.conf`). */
  confDir: string;
  /** CNI_PATH, in order. */
  pluginDirs: string[];
  /** libcni's cache: results under `<cacheDir>/results`. */
  cacheDir: string;
  /** Per plugin run (default: lib/cni's). */
  timeoutMs?: number;
}

export function defaultRuntimePaths(): RuntimePaths {
  return { confDir: DEFAULT_CONF_DIR, pluginDirs: [...DEFAULT_PLUGIN_DIRS], cacheDir: DEFAULT_CACHE_DIR };
}
