// `zonectl up`: a machine's network namespace /run/netns/<machine>, attached to a CNI network
// through the conflist's ADD chain, the result cached where libcni keeps it. A cache record
// whose namespace is gone (a reboot, a killed stop hook) is deleted first; anything this call
// created is removed again when the ADD fails.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Result } from '../cni/types.js';
import { createNamedNetns, namedNetnsExists, removeNamedNetns } from '../netns/named.js';
import { Rtnl } from '../rtnl/client.js';
import { addNetworkList } from '../runtime/add.js';
import { readCacheEntry } from '../runtime/cache.js';
import type { CacheEntry } from '../runtime/cache-format.js';
import { loadConfList } from '../runtime/conf-dir.js';
import type { NetworkConfigList } from '../runtime/conf.js';
import { delNetworkList } from '../runtime/del.js';
import type { RuntimeConf } from '../runtime/runtime-conf.js';
import { machineNetnsPath } from './machine.js';
import type { PortMapping } from '../ports/mappings.js';
import { checkDistinctHostPorts } from './port-spec.js';
import type { RuntimePaths } from './runtime-paths.js';

export const DEFAULT_IFNAME = 'eth0';

export interface UpRequest extends RuntimePaths {
  machine: string;
  network: string;
  /** The interface inside the machine (default eth0: `host0` would be DHCP-configured by a systemd guest). */
  ifname?: string;
  portMappings?: readonly PortMapping[];
}

export interface UpOutcome {
  machine: string;
  netns: string;
  ifname: string;
  list: NetworkConfigList;
  result: Result;
  /** A cached attachment whose namespace was gone, deleted before the ADD. */
  removedStale: boolean;
  /** The namespace existed (empty of this attachment) and was used as it was. */
  reusedNetns: boolean;
}

export function runtimeConfOf(paths: RuntimePaths, attachment: { containerId: string; netns: string; ifname: string }): RuntimeConf {
  return {
    ...attachment,
    pluginDirs: paths.pluginDirs,
    cacheDir: paths.cacheDir,
    ...(paths.timeoutMs !== undefined && { timeoutMs: paths.timeoutMs }),
  };
}

/**
 * A machine's attachment as a runtime gives it: the machine's name is its pod name
 * (CNI_ARGS K8S_POD_NAME, the way podman and the CRI runtimes pass a container's name), so the
 * zone plugin registers it as the machine's name in the zone without the conflist declaring a
 * capability. IgnoreUnknown=1 as those runtimes send it: a plugin of the chain that does not know
 * K8S_POD_NAME (the reference host-local) ignores it instead of failing.
 */
export function machineRuntimeConf(paths: RuntimePaths, machine: string, netns: string, ifname: string): RuntimeConf {
  const rt = runtimeConfOf(paths, { containerId: machine, netns, ifname });
  rt.args = [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAME', machine],
  ];
  return rt;
}

/** The RuntimeConf a cached attachment was added with (args and capabilities as cached). */
export function runtimeConfOfEntry(paths: RuntimePaths, entry: CacheEntry, netns: string): RuntimeConf {
  const rt = runtimeConfOf(paths, { containerId: entry.containerId, netns, ifname: entry.ifname });
  if (entry.cniArgs) rt.args = entry.cniArgs;
  if (entry.capabilityArgs) rt.capabilityArgs = entry.capabilityArgs;
  return rt;
}

function alreadyUp(req: UpRequest, ifname: string): CniError {
  return new CniError(
    ErrorCode.InterfaceExists,
    `machine ${req.machine} is already attached to network ${req.network} (${ifname})`,
    `run "zonectl down ${req.machine}" first`,
  );
}

async function removeStale(list: NetworkConfigList, req: UpRequest, entry: CacheEntry): Promise<void> {
  // The namespace is gone, so its interfaces are; DEL (told so by an empty CNI_NETNS) releases
  // the addresses and host-side state.
  await delNetworkList(list, runtimeConfOfEntry(req, entry, ''));
}

async function bringUpLoopback(netns: string): Promise<void> {
  // A booted machine lacks CAP_NET_ADMIN for its namespace: lo is the runtime's job, as in podman.
  const rt = await Rtnl.open(netns);
  try {
    await rt.setUp('lo');
  } finally {
    rt.close();
  }
}

export async function machineUp(req: UpRequest): Promise<UpOutcome> {
  const ifname = req.ifname ?? DEFAULT_IFNAME;
  const netns = machineNetnsPath(req.machine);
  const portMappings = [...(req.portMappings ?? [])];
  checkDistinctHostPorts(portMappings);
  const list = await loadConfList(req.confDir, req.network);
  const cached = await readCacheEntry(req.cacheDir, { networkName: list.name, containerId: req.machine, ifname });
  const netnsExisted = namedNetnsExists(req.machine);
  if (cached && netnsExisted) throw alreadyUp(req, ifname);
  if (cached) await removeStale(list, req, cached);
  if (!netnsExisted) await createNamedNetns(req.machine);
  try {
    await bringUpLoopback(netns);
    const rt = machineRuntimeConf(req, req.machine, netns, ifname);
    // On the wire as CONVENTIONS.md has it: `family` is ours, derived from hostIP.
    if (portMappings.length) rt.capabilityArgs = { portMappings: portMappings.map(({ family: _family, ...wire }) => wire) };
    const result = await addNetworkList(list, rt);
    return { machine: req.machine, netns, ifname, list, result, removedStale: cached !== undefined, reusedNetns: netnsExisted };
  } catch (e) {
    if (!netnsExisted) await removeNamedNetns(req.machine).catch(() => undefined);
    throw e;
  }
}
