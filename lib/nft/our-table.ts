// Our nftables tables, shared by every part of the project that writes rules. Both are named
// `cni_zones`, one per family of the closed set in objects.ts: `inet cni_zones` holds zone
// masquerade, zone isolation and port publishing; `bridge cni_zones` holds what is filtered on
// the ports of zone bridges, which only the bridge family sees (vxlan-local.ts: DHCP and router
// advertisements kept off the VXLAN ports of multi-host zones). No other table is ever touched.
import type { NftExecutor } from './executor.js';
import type { TableFamily } from './objects.js';
import { NftTable } from './table.js';

export const TABLE_NAME = 'cni_zones';

/** Our table of `family`: inet (the default) or bridge. */
export function ourTable(executor?: NftExecutor, family: TableFamily = 'inet'): NftTable {
  return new NftTable(TABLE_NAME, executor, family);
}
