// One of our own tables (`FAMILY NAME`: family inet unless told, or bridge): the only handle the
// rest of the project gets on nftables. It builds transactions bound to this table, applies each
// as one `nft -f -` run (none when there is nothing to do; in-process through libnftables unless
// given another executor), and reads the table back as objects, of its family only.
import { CniError, ErrorCode } from '../cni/errors.js';
import { isNotFound } from './errors.js';
import { defaultNftExecutor } from './default-executor.js';
import type { NftExecutor } from './executor.js';
import { parseListing, type Listing } from './listing.js';
import type { Chain, Element, NftMap, NftSet, Rule, Table, TableFamily } from './objects.js';
import { checkTableFamily } from './render.js';
import { checkName } from './tokens.js';
import { Transaction } from './transaction.js';

export interface TableContents extends Listing {
  table: Table;
}

export interface ChainContents {
  chain: Chain;
  rules: Rule[];
}

export interface SetContents {
  set: NftSet;
  elements: Element[];
}

export interface MapContents {
  map: NftMap;
  elements: Element[];
}

export interface ApplyOptions {
  /** Only check the input (`nft -c`): nothing changes. */
  check?: boolean;
}

type ListedKind = 'table' | 'chain' | 'set' | 'map';

interface ListOptions {
  /** The chain, set or map to list. */
  object?: string;
  /** Leave out set and map contents. */
  terse?: boolean;
}

export class NftTable {
  readonly family: TableFamily;
  readonly name: string;
  readonly #executor: NftExecutor;

  constructor(name: string, executor: NftExecutor = defaultNftExecutor(), family: TableFamily = 'inet') {
    this.name = checkName('table', name);
    this.family = checkTableFamily(family);
    this.#executor = executor;
  }

  transaction(): Transaction {
    return new Transaction(this.name, this.family);
  }

  /** Apply all of `tx` or nothing; resolves false without running nft when `tx` is empty. */
  async apply(tx: Transaction, options: ApplyOptions = {}): Promise<boolean> {
    if (tx.table !== this.name || tx.family !== this.family) {
      throw new CniError(ErrorCode.Internal, `transaction for table ${tx.family} ${tx.table} applied to table ${this.family} ${this.name}`);
    }
    if (tx.isEmpty()) return false;
    await this.#executor.run(options.check ? ['-c', '-f', '-'] : ['-f', '-'], tx.render());
    return true;
  }

  /** The whole table, or undefined when it does not exist. */
  async list(): Promise<TableContents | undefined> {
    const listing = await this.#list('table', this.name);
    if (listing?.table === undefined) return undefined;
    return { ...listing, table: listing.table };
  }

  /** Whether the table exists; lists it without set contents (`-t`), so it stays cheap. */
  async exists(): Promise<boolean> {
    return (await this.#list('table', this.name, { terse: true })) !== undefined;
  }

  /** A chain with its rules (handles and comments), or undefined when it does not exist. */
  async listChain(name: string): Promise<ChainContents | undefined> {
    const listing = await this.#list('chain', this.name, { object: checkName('chain', name) });
    const chain = listing?.chains.find((c) => c.name === name);
    return chain && listing ? { chain, rules: listing.rules.filter((rule) => rule.chain === name) } : undefined;
  }

  async listSet(name: string): Promise<SetContents | undefined> {
    const listing = await this.#list('set', this.name, { object: checkName('set', name) });
    const set = listing?.sets.find((s) => s.name === name);
    return set && listing ? { set, elements: listing.elements.filter((e) => e.set === name) } : undefined;
  }

  async listMap(name: string): Promise<MapContents | undefined> {
    const listing = await this.#list('map', this.name, { object: checkName('map', name) });
    const map = listing?.maps.find((m) => m.name === name);
    return map && listing ? { map, elements: listing.elements.filter((e) => e.set === name) } : undefined;
  }

  async #list(kind: ListedKind, table: string, options: ListOptions = {}): Promise<Listing | undefined> {
    const terse = options.terse ? ['-t'] : [];
    const object = options.object === undefined ? [] : [options.object];
    const args = [...terse, '-j', 'list', kind, this.family, table, ...object];
    let json: string;
    try {
      json = await this.#executor.run(args);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    return parseListing(json, this.name, this.family);
  }
}
