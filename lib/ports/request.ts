// What every ports operation works from, whichever plugin runs it: the attachment, the
// mappings it asked for, the plugin configuration and the main plugin's result; plus the
// outside world (nft, sysctls, the routing table, the [::1] proxies), replaceable in unit tests.
import type { Result } from '../cni/types.js';
import type { NftExecutor } from '../nft/executor.js';
import { ourTable } from '../nft/our-table.js';
import type { NftTable } from '../nft/table.js';
import type { PortsConfig } from './config.js';
import { type FlowAccess, kernelFlows } from './flows.js';
import { processSysctl, readRouteTable, type SysctlAccess } from './localnet.js';
import type { PortMapping } from './mappings.js';
import type { Owner } from './owner.js';
import { type ProxyAccess, systemProxies } from './proxies.js';

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
  /** Connection tracking (default: the kernel's, in our namespace). */
  flows?: FlowAccess;
  /** What a call says on stderr when something it could do without failed. */
  warn?: (message: string) => void;
  /** The [::1] proxies (default: the system's). */
  proxies?: ProxyAccess;
}

export interface World {
  table: NftTable;
  sysctl: SysctlAccess;
  routeTable: () => string;
  flows: FlowAccess;
  warn: (message: string) => void;
  proxies: ProxyAccess;
}

function warnOnStderr(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

export function worldOf(deps: PortsDeps = {}): World {
  return {
    table: ourTable(deps.executor),
    sysctl: deps.sysctl ?? processSysctl,
    routeTable: deps.routeTable ?? readRouteTable,
    flows: deps.flows ?? kernelFlows,
    warn: deps.warn ?? warnOnStderr,
    proxies: deps.proxies ?? systemProxies,
  };
}
