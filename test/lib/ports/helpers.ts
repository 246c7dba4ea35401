// A stand-in for the nft side of port publishing in unit tests: `nft -j list table` output
// built from elements (as nft 1.0.6 prints it), and a RecordingExecutor that serves it.
import { nftFailure } from '../../../lib/nft/errors.js';
import { RecordingExecutor, type NftCall } from '../../../lib/nft/fake.js';
import type { Element, NftMap, NftSet } from '../../../lib/nft/objects.js';
import { portsObjects, portsRules } from '../../../lib/ports/ruleset.js';
import type { SysctlAccess } from '../../../lib/ports/localnet.js';
import type { FlowDestination } from '../../../lib/conntrack/flush.js';
import type { FlowAccess } from '../../../lib/ports/flows.js';

function jsonLiteral(literal: string): unknown {
  if (/^\d+$/.test(literal)) return Number(literal);
  const prefix = /^(.+)\/(\d+)$/.exec(literal);
  return prefix ? { prefix: { addr: prefix[1], len: Number(prefix[2]) } } : literal;
}

function jsonValue(parts: readonly string[]): unknown {
  return parts.length === 1 ? jsonLiteral(parts[0] as string) : { concat: parts.map(jsonLiteral) };
}

function jsonElement(element: Element): unknown {
  const key = element.comment === undefined ? jsonValue(element.key) : { elem: { val: jsonValue(element.key), comment: element.comment } };
  return element.value === undefined ? key : [key, jsonValue(element.value)];
}

export interface ListingOptions {
  /** Leave out the rules of these chains (a chain flushed by hand). */
  flushedChains?: readonly string[];
}

/** `nft -j list table inet cni_zones` holding our ruleset and `elements`. */
export function listingJson(elements: readonly Element[], options: ListingOptions = {}): string {
  const owner = { family: 'inet', table: 'cni_zones' };
  const items: unknown[] = [{ metainfo: { version: '1.0.6' } }, { table: { family: 'inet', name: 'cni_zones', handle: 1 } }];
  let handle = 2;
  for (const object of portsObjects()) {
    if (object.kind === 'map' || object.kind === 'set') {
      const set = object as NftSet | NftMap;
      const elem = elements.filter((e) => e.set === set.name).map(jsonElement);
      const entry = { ...owner, name: set.name, type: set.type.split(' . '), handle: handle++, ...(elem.length > 0 && { elem }) };
      items.push(set.kind === 'map' ? { map: { ...entry, map: (set as NftMap).valueType } } : { set: { ...entry, ...(set.flags && { flags: set.flags }) } });
    } else if (object.kind === 'chain') {
      items.push({ chain: { ...owner, name: object.name, handle: handle++ } });
    }
  }
  for (const rule of portsRules()) {
    if (!options.flushedChains?.includes(rule.chain)) items.push({ rule: { ...owner, chain: rule.chain, handle: handle++, expr: [] } });
  }
  return JSON.stringify({ nftables: items });
}

export const exists = () => nftFailure('transaction', 'Error: Could not process rule: File exists\n', 1);
export const notFound = () => nftFailure('list', 'Error: No such file or directory\nlist table inet cni_zones\n', 1);

export const isList = (call: NftCall) => call.args.includes('list');
export const isApply = (call: NftCall) => call.args.includes('-f');

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

export { RecordingExecutor };

/** Connection tracking that records what it was asked to forget. */
export function recordingFlows(): FlowAccess & { asked: FlowDestination[][] } {
  const asked: FlowDestination[][] = [];
  return { asked, forget: (destinations) => (asked.push([...destinations]), 0) };
}
