// The nftables objects of our tables as plain data. None of them names a table or a
// family: a Transaction or NftTable puts them into one of our tables, and only there.

/**
 * The families our tables live in, a closed set: `inet` for everything routed (ports,
 * masquerade, isolation), `bridge` for what must be filtered on a bridge port.
 */
export type TableFamily = 'inet' | 'bridge';
export const tableFamilies: readonly TableFamily[] = ['inet', 'bridge'];

export type ChainType = 'filter' | 'nat' | 'route';
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export type Policy = 'accept' | 'drop';
/** Named priorities of the inet family (use numbers in a bridge table); rendered as their numbers (nft 1.0.6 rejects `dstnat` on the output hook). */
export type NamedPriority = 'raw' | 'mangle' | 'dstnat' | 'filter' | 'security' | 'srcnat';
export type SetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic';

/** Our table itself (`add table` is idempotent; `delete table` removes everything in it). */
export interface Table {
  kind: 'table';
  comment?: string;
}

/** A chain; a base chain when `hook` is set (then `type` and `priority` are required). */
export interface Chain {
  kind: 'chain';
  name: string;
  type?: ChainType;
  hook?: Hook;
  priority?: number | NamedPriority;
  policy?: Policy;
  comment?: string;
  /** Filled in by listings. */
  handle?: number;
}

/** A set; `type` may be a concatenation (`ipv4_addr . ifname`). */
export interface NftSet {
  kind: 'set';
  name: string;
  type: string;
  flags?: readonly SetFlag[];
  comment?: string;
  handle?: number;
}

/** A map from `type` to `valueType`; both may be concatenations, `valueType` may be `verdict`. */
export interface NftMap {
  kind: 'map';
  name: string;
  type: string;
  valueType: string;
  flags?: readonly SetFlag[];
  comment?: string;
  handle?: number;
}

/**
 * An element of the set or map named `set`. `key` (and a map's `value`) hold one nft
 * literal per part of a concatenated type: `['10.0.0.1', '8080']`, `['10.89.0.0/24', '"vz-web"']`.
 */
export interface Element {
  kind: 'element';
  set: string;
  key: readonly string[];
  value?: readonly string[];
  comment?: string;
}

/**
 * A rule of chain `chain`. `rule` is nft rule text (statements only; the comment goes in
 * `comment`). `handle` addresses an existing rule (replace/delete) or positions a new one
 * (add after it, insert before it); `index` positions by number. Listings fill `handle`
 * and `comment` but not `rule`: nft's JSON gives expressions, not text.
 */
export interface Rule {
  kind: 'rule';
  chain: string;
  rule?: string;
  comment?: string;
  handle?: number;
  index?: number;
}

export type NftObject = Table | Chain | NftSet | NftMap | Element | Rule;

/** A chain, set or map by name only: enough to flush or delete it. */
export interface NamedRef {
  kind: 'chain' | 'set' | 'map';
  name: string;
}

export const namedPriorities: Readonly<Record<NamedPriority, number>> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
};
