// Stand-ins for the world around port publishing in unit tests: nftables (a FakeNft holding
// our table as ADD leaves it), sysctls, the routing table and connection tracking.
import type { FlowDestination } from '../../../lib/conntrack/flush.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import { TABLE_NAME } from '../../../lib/nft/our-table.js';
import { Transaction } from '../../../lib/nft/transaction.js';
import type { FlowAccess } from '../../../lib/ports/flows.js';
import type { SysctlAccess } from '../../../lib/ports/localnet.js';
import { declarePorts } from '../../../lib/ports/ruleset.js';

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
