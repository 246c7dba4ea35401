// `nft -j list table|chain|set|map` output → the objects of objects.ts, so what we read
// can be compared with, and deleted by, what we render. JSON is fine for reading on
// nft 1.0.6 (only JSON *input* has trouble with concatenations), with two gaps: rules
// come as expressions (we keep handle and comment, not text), and table and chain
// comments are not in it (set, map, element and rule comments are).
import * as z from 'zod/mini';
import { ErrorCode } from '../cni/errors.js';
import { decodeJson } from '../cni/config.js';
import { parseOrThrow } from '../cni/schema.js';
import type { Chain, ChainType, Element, Hook, NftMap, NftSet, Policy, Rule, SetFlag, Table, TableFamily } from './objects.js';

/** Everything a listing held for our table; `table` is set when the table itself was listed. */
export interface Listing {
  table?: Table;
  chains: Chain[];
  sets: NftSet[];
  maps: NftMap[];
  elements: Element[];
  rules: Rule[];
}

const typeNames = z.union([z.string(), z.array(z.string())]);
const owner = { family: z.string(), table: z.string() };
const handle = z.optional(z.number());
const comment = z.optional(z.string());

const tableSchema = z.looseObject({ family: z.string(), name: z.string(), handle, comment });
const chainSchema = z.looseObject({
  ...owner,
  name: z.string(),
  handle,
  type: z.optional(z.string()),
  hook: z.optional(z.string()),
  prio: z.optional(z.number()),
  policy: z.optional(z.string()),
  comment,
});
const setSchema = z.looseObject({
  ...owner,
  name: z.string(),
  handle,
  type: typeNames,
  flags: z.optional(typeNames),
  comment,
  elem: z.optional(z.array(z.unknown())),
});
const mapSchema = z.extend(setSchema, { map: typeNames });
const ruleSchema = z.looseObject({ ...owner, chain: z.string(), handle: z.number(), comment });
const listingSchema = z.looseObject({ nftables: z.array(z.record(z.string(), z.unknown())) });

type SetEntry = z.output<typeof setSchema>;

function parts(type: string | readonly string[]): string[] {
  return typeof type === 'string' ? type.split(' . ') : [...type];
}

function flagsOf(flags: string | readonly string[] | undefined): SetFlag[] | undefined {
  if (flags === undefined) return undefined;
  return (typeof flags === 'string' ? [flags] : [...flags]) as SetFlag[];
}

// Types whose values nft prints as strings that the text syntax wants quoted.
const stringTypes = new Set(['ifname', 'string']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// nft names a protocol from /etc/protocols; a host without netbase gets the bare number listed.
const protocolNames = new Map([
  [6, 'tcp'],
  [17, 'udp'],
  [132, 'sctp'],
]);

/** One JSON value of an element as the literal our renderer writes for it. */
export function literalOf(value: unknown, type: string | undefined): string {
  if (typeof value === 'number') return (type === 'inet_proto' && protocolNames.get(value)) || String(value);
  if (typeof value === 'string') return type !== undefined && stringTypes.has(type) ? `"${value}"` : value;
  if (isRecord(value)) {
    const prefix = value.prefix;
    if (isRecord(prefix)) return `${literalOf(prefix.addr, type)}/${String(prefix.len)}`;
    const range = value.range;
    if (Array.isArray(range) && range.length === 2) return `${literalOf(range[0], type)}-${literalOf(range[1], type)}`;
    const [verdict, argument] = Object.entries(value)[0] ?? [];
    if (verdict === 'jump' || verdict === 'goto') return isRecord(argument) ? `${verdict} ${String(argument.target)}` : verdict;
    if (verdict !== undefined && argument === null) return verdict;
  }
  // Something we never write (e.g. a set reference): keep it visible; it will not render.
  return JSON.stringify(value);
}

function literalsOf(value: unknown, types: readonly string[]): string[] {
  if (isRecord(value) && Array.isArray(value.concat)) return value.concat.map((part, i) => literalOf(part, types[i]));
  return [literalOf(value, types[0])];
}

/** An element key as nft lists it: bare, or wrapped as `{elem: {val, comment}}`. */
function unwrapKey(entry: unknown): { val: unknown; comment?: string } {
  if (isRecord(entry) && isRecord(entry.elem)) {
    const { val, comment } = entry.elem;
    return typeof comment === 'string' ? { val, comment } : { val };
  }
  return { val: entry };
}

function elementsOf(set: SetEntry, valueType?: string | readonly string[]): Element[] {
  const keyTypes = parts(set.type);
  const valueTypes = valueType === undefined ? undefined : parts(valueType);
  return (set.elem ?? []).map((entry) => {
    const [keyEntry, valueEntry] = valueTypes !== undefined && Array.isArray(entry) ? entry : [entry, undefined];
    const key = unwrapKey(keyEntry);
    const element: Element = { kind: 'element', set: set.name, key: literalsOf(key.val, keyTypes) };
    if (valueTypes !== undefined) element.value = literalsOf(valueEntry, valueTypes);
    if (key.comment !== undefined) element.comment = key.comment;
    return element;
  });
}

function withOptional<T extends object>(object: T, extra: Record<string, unknown>): T {
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) (object as Record<string, unknown>)[name] = value;
  return object;
}

function toChain(entry: z.output<typeof chainSchema>): Chain {
  return withOptional<Chain>(
    { kind: 'chain', name: entry.name },
    {
      type: entry.type as ChainType | undefined,
      hook: entry.hook as Hook | undefined,
      priority: entry.prio,
      policy: entry.policy as Policy | undefined,
      comment: entry.comment,
      handle: entry.handle,
    },
  );
}

function toSet(entry: SetEntry): NftSet {
  const type = parts(entry.type).join(' . ');
  return withOptional<NftSet>(
    { kind: 'set', name: entry.name, type },
    { flags: flagsOf(entry.flags), comment: entry.comment, handle: entry.handle },
  );
}

function toMap(entry: z.output<typeof mapSchema>): NftMap {
  const type = parts(entry.type).join(' . ');
  const valueType = parts(entry.map).join(' . ');
  return withOptional<NftMap>(
    { kind: 'map', name: entry.name, type, valueType },
    { flags: flagsOf(entry.flags), comment: entry.comment, handle: entry.handle },
  );
}

function toRule(entry: z.output<typeof ruleSchema>): Rule {
  return withOptional<Rule>({ kind: 'rule', chain: entry.chain, handle: entry.handle }, { comment: entry.comment });
}

function parse<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.output<T> {
  return parseOrThrow(schema, value, ErrorCode.DecodingFailure, `nft listing ${what}`);
}

// A set can hold more elements than a spread into push() may pass as arguments.
function appendAll<T>(to: T[], items: readonly T[]): void {
  for (const item of items) to.push(item);
}

/** Parse `nft -j list ...` output, keeping only what belongs to table `FAMILY TABLE` (inet unless told). */
export function parseListing(json: string, table: string, family: TableFamily = 'inet'): Listing {
  const { nftables } = parse(listingSchema, decodeJson(json, 'nft listing'), 'envelope');
  const listing: Listing = { chains: [], sets: [], maps: [], elements: [], rules: [] };
  const ours = (entry: { family: string; table: string }) => entry.family === family && entry.table === table;
  for (const item of nftables) {
    if (item.table !== undefined) {
      const entry = parse(tableSchema, item.table, 'table');
      if (entry.family === family && entry.name === table) {
        listing.table = withOptional<Table>({ kind: 'table' }, { comment: entry.comment });
      }
    } else if (item.chain !== undefined) {
      const entry = parse(chainSchema, item.chain, 'chain');
      if (ours(entry)) listing.chains.push(toChain(entry));
    } else if (item.set !== undefined) {
      const entry = parse(setSchema, item.set, 'set');
      if (ours(entry)) {
        listing.sets.push(toSet(entry));
        appendAll(listing.elements, elementsOf(entry));
      }
    } else if (item.map !== undefined) {
      const entry = parse(mapSchema, item.map, 'map');
      if (ours(entry)) {
        listing.maps.push(toMap(entry));
        appendAll(listing.elements, elementsOf(entry, entry.map));
      }
    } else if (item.rule !== undefined) {
      const entry = parse(ruleSchema, item.rule, 'rule');
      if (ours(entry)) listing.rules.push(toRule(entry));
    }
  }
  return listing;
}
