// The published ports of every cached attachment: the `portMappings` each ADD was given, with
// the container address the host port leads to. Read from the result cache alone.
import type { Result } from '../../../lib/cni/types.js';
import { familyOf, stripPrefix } from '../../../lib/ip/index.js';
import { portMappingsOf } from '../../../lib/nspawn/port-spec.js';
import type { PortMapping } from '../../../lib/ports/mappings.js';
import { listCacheEntries } from '../../../lib/runtime/cache.js';
import type { CacheEntry } from '../../../lib/runtime/cache-format.js';

export interface PublishedPort extends PortMapping {
  network: string;
  containerId: string;
  ifname: string;
  /** Where the host port leads: the container's addresses of the host address's family. */
  containerAddresses: string[];
}

function containerAddresses(entry: CacheEntry, mapping: PortMapping): string[] {
  const result = entry.result as Result | undefined;
  const index = result?.interfaces?.findIndex((i) => i.name === entry.ifname && (i.sandbox ?? '') !== '') ?? -1;
  const ips = (result?.ips ?? [])
    .filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index)
    .map((ip) => stripPrefix(ip.address));
  if (!mapping.hostIP) return ips;
  const family = familyOf(mapping.hostIP);
  return ips.filter((ip) => familyOf(ip) === family);
}

export async function collectPorts(cacheDir: string, network?: string): Promise<PublishedPort[]> {
  const entries = await listCacheEntries(cacheDir, network === undefined ? {} : { networkName: network });
  return entries.flatMap((entry) =>
    portMappingsOf(entry.capabilityArgs).map((mapping) => ({
      ...mapping,
      network: entry.networkName,
      containerId: entry.containerId,
      ifname: entry.ifname,
      containerAddresses: containerAddresses(entry, mapping),
    })),
  );
}
