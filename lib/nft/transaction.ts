// A Transaction collects operations on one of our tables and renders them, in the order they
// were made, into one `nft -f -` input: nft applies such an input as one netlink batch,
// so either all of it takes effect or none of it does.
import type { Chain, Element, NamedRef, NftMap, NftObject, NftSet, Rule, Table, TableFamily } from './objects.js';
import { checkTableFamily, checkVerb, renderElements, renderOperation, type Operation, type Verb } from './render.js';
import { checkName } from './tokens.js';

export type Declarable = Exclude<NftObject, Rule>;
export type Flushable = Table | Chain | NftSet | NftMap | NamedRef;
export type Deletable = NftObject | NamedRef;
/** One object, or a list of them (as long as it likes). */
export type Many<T> = T | readonly T[];

export class Transaction {
  readonly table: string;
  readonly family: TableFamily;
  readonly #operations: Operation[] = [];

  /** `table` is the name of our table in `family` (inet unless told); nothing else can be addressed. */
  constructor(table: string, family: TableFamily = 'inet') {
    this.table = checkName('table', table);
    this.family = checkTableFamily(family);
  }

  /** Declare objects (idempotent for tables, chains, sets, maps and equal elements); append rules. */
  add(...objects: Many<NftObject>[]): this {
    return this.#push('add', objects);
  }

  /** Declare objects that must not exist yet (fails with "File exists" otherwise). */
  create(...objects: Many<Declarable>[]): this {
    return this.#push('create', objects);
  }

  /** Prepend rules (or insert them before `handle` / at `index`). */
  insert(...rules: Many<Rule>[]): this {
    return this.#push('insert', rules);
  }

  /** Replace the rules with these `handle`s. */
  replace(...rules: Many<Rule>[]): this {
    return this.#push('replace', rules);
  }

  /** Delete objects; elements by key, rules by handle. Missing ones fail the whole transaction. */
  delete(...objects: Many<Deletable>[]): this {
    return this.#push('delete', objects);
  }

  /**
   * Delete objects whether they exist or not: all of them are added, then all deleted, in this
   * transaction, which works where the `destroy` command does not (nft before 1.0.8, kernels
   * before 6.3). An element is added with its value and comment: a map key that now leads
   * somewhere else fails the transaction with "exists" instead of being deleted. Rules have
   * no destroy (an added rule is another rule).
   */
  destroy(...objects: Many<Declarable>[]): this {
    return this.#push(['add', 'delete'], objects);
  }

  /** Empty a table (the rules of all its chains; set and map elements stay), a chain, a set or a map. */
  flush(...objects: Many<Flushable>[]): this {
    return this.#push('flush', objects);
  }

  get operations(): readonly Operation[] {
    return this.#operations;
  }

  get size(): number {
    return this.#operations.length;
  }

  isEmpty(): boolean {
    return this.#operations.length === 0;
  }

  /**
   * The nft input, one command per line. A stretch of element operations with one verb becomes
   * one line per set (`add element ... s { a, b }`), in the order the sets first appear: nft
   * parses one long line far faster than many short ones, and operations of one verb on
   * different sets do not depend on each other's order. Linear in the operations.
   */
  render(): string {
    const lines: string[] = [];
    for (let i = 0; i < this.#operations.length; ) {
      const operation = this.#operations[i] as Operation;
      if (operation.object.kind !== 'element') {
        lines.push(renderOperation(this.table, operation, this.family));
        i += 1;
        continue;
      }
      const stretch = this.#elementStretch(i);
      for (const [set, elements] of stretch.bySet) {
        lines.push(renderElements(this.table, operation.verb, set, elements, this.family));
      }
      i = stretch.end;
    }
    return lines.map((line) => `${line}\n`).join('');
  }

  /** The element operations from `start` on that share its verb, grouped by set, and where they end. */
  #elementStretch(start: number): { bySet: Map<string, Element[]>; end: number } {
    const verb = (this.#operations[start] as Operation).verb;
    const bySet = new Map<string, Element[]>();
    let end = start;
    for (; end < this.#operations.length; end++) {
      const { verb: v, object } = this.#operations[end] as Operation;
      if (object.kind !== 'element' || v !== verb) break;
      const elements = bySet.get(object.set);
      if (elements === undefined) bySet.set(object.set, [object]);
      else elements.push(object);
    }
    return { bySet, end };
  }

  // Every operation is rendered once on the way in, so a bad value throws at the call
  // that brought it, and a transaction only ever holds operations that render. Arrays are
  // taken whole: spreading tens of thousands of elements into a call overflows Node's stack.
  // Several verbs: every object with the first, then every object with the next.
  #push(verbs: Verb | readonly Verb[], items: readonly Many<Deletable>[]): this {
    const objects = items.flat();
    const operations: Operation[] = [];
    for (const verb of typeof verbs === 'string' ? [verbs] : verbs) {
      for (const object of objects) {
        const operation = { verb, object };
        checkVerb(verb, object);
        renderOperation(this.table, operation, this.family);
        operations.push(operation);
      }
    }
    for (const operation of operations) this.#operations.push(operation);
    return this;
  }
}
