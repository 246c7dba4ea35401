// Stand-ins for the world around port publishing in unit tests: nftables (a FakeNft holding
// our table as ADD leaves it), sysctls, the routing table, connection tracking and the [::1]
// proxies.
import type { FlowDestination } from '../../../lib/conntrack/flush.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import { TABLE_NAME } from '../../../lib/nft/our-table.js';
import { Transaction } from '../../../lib/nft/transaction.js';
import type { FlowAccess } from '../../../lib/ports/flows.js';
import type { SysctlAccess } from '../../../lib/ports/localnet.js';
import type { ProxyAccess } from '../../../lib/ports/proxies.js';
import { declarePorts } from '../../../lib/ports/ruleset.js';
import type { ProxyRecord } from '../../../lib/ports/state.js';
import { CniError, ErrorCode } from '../../../lib/cni/errors.js';

/** nftables holding our table with the fixed ruleset of port publishing and `elements`. */
export function portsTable(elements: readonly Element[] = []): FakeNft {
  const tx = declarePorts(new Transaction(TABLE_NAME));
  if (elements.length > 0) tx.add(elements);
  return new FakeNft().load(tx.render());
}

/** The elements in `nft`, one `set { element }` per line, in dump() order. */
export function elementsIn(nft: FakeNft): string[] {
  return nft
    .dump(['element'])
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(`add element inet ${TABLE_NAME} `, ''));
}

/** Everything but the elements: the table, its sets, maps, chains and rules. */
export function rulesetIn(nft: FakeNft): string {
  return nft.dump(['table', 'set', 'map', 'chain', 'rule']);
}

/** Sysctls in memory, keyed by dotted name. */
export function memorySysctl(initial: Record<string, string> = {}): SysctlAccess & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    read: async (key) => values[key.join('.')] ?? '0',
    write: async (key, value) => {
      values[key.join('.')] = String(value);
    },
  };
}

export const routeTable = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'vz-web\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  '',
].join('\n');

/** Connection tracking that records what it was asked to forget. */
export function recordingFlows(): FlowAccess & { asked: FlowDestination[][] } {
  const asked: FlowDestination[][] = [];
  return {
    asked,
    forget: (destinations) => {
      asked.push([...destinations]);
      return 0;
    },
  };
}

/** [::1] proxies in memory: `held` ports are someone else's; started ones run until stopped. */
export function fakeProxies(held: readonly number[] = []): ProxyAccess & { running: Map<number, ProxyRecord> } {
  const running = new Map<number, ProxyRecord>();
  return {
    running,
    async take(plans) {
      const taken = plans.find((plan) => held.includes(plan.port) || running.has(plan.port));
      if (taken !== undefined) throw new CniError(ErrorCode.PortConflict, `host port tcp/[::1]:${taken.port} is already taken`);
      return { plans, listeners: new Map(), viaSystemd: false };
    },
    release: () => undefined,
    async start(taken) {
      const records = taken.plans.map((plan): ProxyRecord => ({ ...plan, via: 'process', pid: 1000 + plan.port }));
      for (const record of records) running.set(record.port, record);
      return records;
    },
    async stop(records) {
      for (const record of records) running.delete(record.port);
    },
    stopMarked: async () => undefined,
    runs: async (record) => running.has(record.port),
    stopOrphans: async () => undefined,
    available: () => undefined,
  };
}
