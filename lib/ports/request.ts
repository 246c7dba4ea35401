// What every ports operation works from, whichever plugin runs it: the attachment, the
// mappings it asked for, the plugin configuration and the main plugin's result; plus the
// outside world (nft, sysctls, the routing table), replaceable in unit tests.
import type { Result } from '../cni/types.js';
import type { NftExecutor } from '../nft/executor.js';
import { ourTable } from '../nft/our-table.js';
import type { NftTable } from '../nft/table.js';
import type { PortsConfig } from './config.js';
import { processSysctl, readRouteTable, type SysctlAccess } from './localnet.js';
import type { PortMapping } from './mappings.js';
import type { Owner } from './owner.js';

export interface PortsRequest {
  owner: Owner;
  /** undefined when the request carried no `portMappings` at all (a DEL from a runtime that sends none). */
  mappings: PortMapping[] | undefined;
  config: PortsConfig;
  /** The result of the plugins before: where the ports lead. */
  result?: Result;
}

export interface PortsDeps {
  executor?: NftExecutor;
  sysctl?: SysctlAccess;
  /** `/proc/net/route` text. */
  routeTable?: () => string;
}

export interface World {
  table: NftTable;
  sysctl: SysctlAccess;
  routeTable: () => string;
}

export function worldOf(deps: PortsDeps = {}): World {
  return { table: ourTable(deps.executor), sysctl: deps.sysctl ?? processSysctl, routeTable: deps.routeTable ?? readRouteTable };
}
