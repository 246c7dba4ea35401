// `zonectl down`: DEL of every cached attachment of a machine, each with the configuration and
// capability arguments its ADD used (as cached), then the namespace goes. A machine that is
// already down is fine. The namespace is removed even when a DEL fails: the machine has
// stopped, and the cache record that stays behind lets `zonectl gc` finish the job later.
import { asCniError, type CniError } from '../cni/errors.js';
import { namedNetnsExists, removeNamedNetns } from '../netns/named.js';
import { listCacheEntries } from '../runtime/cache.js';
import type { CacheEntry } from '../runtime/cache-format.js';
import { loadConfList } from '../runtime/conf-dir.js';
import { parseConfList, type NetworkConfigList } from '../runtime/conf.js';
import { delNetworkList } from '../runtime/del.js';
import { machineNetnsPath } from './machine.js';
import type { RuntimePaths } from './runtime-paths.js';
import { DEFAULT_IFNAME, machineRuntimeConf, runtimeConfOfEntry } from './up.js';

export interface DownRequest extends RuntimePaths {
  machine: string;
  /** Only this network; also DELs it when nothing is cached (a lost cache). */
  network?: string;
  /** The interface for a DEL without a cache record (default eth0). */
  ifname?: string;
}

export interface Detached {
  network: string;
  ifname: string;
}

export interface DownOutcome {
  detached: Detached[];
  failures: CniError[];
  removedNetns: boolean;
}

/** The list the ADD ran: the cached bytes, else (an old record) the conf dir's. */
async function listForEntry(entry: CacheEntry, confDir: string): Promise<NetworkConfigList> {
  if (entry.config.length) {
    try {
      return parseConfList(entry.config, `cached configuration of network "${entry.networkName}"`);
    } catch {
      // fall back to the configuration on disk
    }
  }
  return loadConfList(confDir, entry.networkName);
}

async function detachCached(req: DownRequest, entry: CacheEntry, netns: string): Promise<void> {
  const list = await listForEntry(entry, req.confDir);
  await delNetworkList(list, runtimeConfOfEntry(req, entry, netns));
}

async function detachUncached(req: DownRequest, network: string, ifname: string, netns: string): Promise<void> {
  const list = await loadConfList(req.confDir, network);
  await delNetworkList(list, machineRuntimeConf(req, req.machine, netns, ifname));
}

export async function machineDown(req: DownRequest): Promise<DownOutcome> {
  const netnsPath = machineNetnsPath(req.machine);
  const netnsExists = namedNetnsExists(req.machine);
  // DEL may be given a namespace that is gone; it must not be given a path that is not one.
  const netns = netnsExists ? netnsPath : '';
  const filter = { containerId: req.machine, ...(req.network !== undefined && { networkName: req.network }) };
  const entries = await listCacheEntries(req.cacheDir, filter);
  const outcome: DownOutcome = { detached: [], failures: [], removedNetns: false };
  const detach = async (network: string, ifname: string, run: () => Promise<void>) => {
    try {
      await run();
      outcome.detached.push({ network, ifname });
    } catch (e) {
      outcome.failures.push(asCniError(e));
    }
  };
  for (const entry of entries) {
    await detach(entry.networkName, entry.ifname, () => detachCached(req, entry, netns));
  }
  // Nothing cached but the namespace is there (a lost cache): DEL by what the caller names.
  if (entries.length === 0 && req.network !== undefined && netnsExists) {
    const ifname = req.ifname ?? DEFAULT_IFNAME;
    await detach(req.network, ifname, () => detachUncached(req, req.network as string, ifname, netns));
  }
  outcome.removedNetns = await removeNamedNetns(req.machine);
  return outcome;
}
