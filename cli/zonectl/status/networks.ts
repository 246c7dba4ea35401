// The networks of a conf dir, file by file: one unreadable file is reported, not fatal, so a
// status view still shows every other zone.
import { asCniError } from '../../../lib/cni/errors.js';
import { confFiles, loadConfList } from '../../../lib/runtime/conf-dir.js';
import { CONF_EXTENSIONS, CONFLIST_EXTENSIONS, loadConfListFile, type NetworkConfigList } from '../../../lib/runtime/conf.js';

export interface ConfDirListing {
  lists: NetworkConfigList[];
  unreadable: { file: string; error: string }[];
}

export async function readConfDir(dir: string): Promise<ConfDirListing> {
  const listing: ConfDirListing = { lists: [], unreadable: [] };
  const seen = new Set<string>();
  for (const file of await confFiles(dir, [...CONFLIST_EXTENSIONS, ...CONF_EXTENSIONS])) {
    try {
      const list = await loadConfListFile(file);
      // As libcni: the first file of a name wins.
      if (seen.has(list.name)) continue;
      seen.add(list.name);
      listing.lists.push(list);
    } catch (e) {
      listing.unreadable.push({ file, error: asCniError(e).message });
    }
  }
  return listing;
}

/** Plugin types this project ships. */
const OUR_PLUGINS = new Set(['zone', 'zone-ipam', 'zone-ports']);

export function usesOurPlugins(list: NetworkConfigList): boolean {
  return list.plugins.some((p) => OUR_PLUGINS.has(p.type) || (p.conf.ipam as { type?: unknown } | undefined)?.type === 'zone-ipam');
}

/** The networks a command acts on: the one named (whatever its plugins), or every one of ours in the conf dir. */
export async function networksOfOurs(confDir: string, network: string | undefined): Promise<NetworkConfigList[]> {
  if (network !== undefined) return [await loadConfList(confDir, network)];
  return (await readConfDir(confDir)).lists.filter(usesOurPlugins);
}
