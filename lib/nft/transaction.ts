// A Transaction collects operations on our table and renders them, in the order they
// were made, into one `nft -f -` input: nft applies such an input as one netlink batch,
// so either all of it takes effect or none of it does.
import type { Chain, Element, NamedRef, NftMap, NftObject, NftSet, Rule, Table } from './objects.js';
import { checkVerb, renderElements, renderOperation, type Operation, type Verb } from './render.js';
import { checkName } from './tokens.js';

export type Declarable = Exclude<NftObject, Rule>;
export type Flushable = Table | Chain | NftSet | NftMap | NamedRef;
export type Deletable = NftObject | NamedRef;

export class Transaction {
  readonly table: string;
  readonly #operations: Operation[] = [];

  /** `table` is the name of our table in family `inet`; nothing else can be addressed. */
  constructor(table: string) {
    this.table = checkName('table', table);
  }

  /** Declare objects (idempotent for tables, chains, sets, maps and equal elements); append rules. */
  add(...objects: NftObject[]): this {
    return this.#push('add', objects);
  }

  /** Declare objects that must not exist yet (fails with "File exists" otherwise). */
  create(...objects: Declarable[]): this {
    return this.#push('create', objects);
  }

  /** Prepend rules (or insert them before `handle` / at `index`). */
  insert(...rules: Rule[]): this {
    return this.#push('insert', rules);
  }

  /** Replace the rules with these `handle`s. */
  replace(...rules: Rule[]): this {
    return this.#push('replace', rules);
  }

  /** Delete objects; elements by key, rules by handle. Missing ones fail the whole transaction. */
  delete(...objects: Deletable[]): this {
    return this.#push('delete', objects);
  }

  /** Empty a table (its chains' rules and its sets), a chain, a set or a map. */
  flush(...objects: Flushable[]): this {
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
   * The nft input, one command per line; consecutive element operations with the same
   * verb and set share one line (`add element ... { a, b }`), which nft parses faster.
   */
  render(): string {
    const lines: string[] = [];
    for (let i = 0; i < this.#operations.length; ) {
      const run = this.#elementRun(i);
      const operation = this.#operations[i] as Operation;
      if (run.length > 0) {
        const first = run[0] as Element;
        lines.push(renderElements(this.table, operation.verb, first.set, run));
        i += run.length;
      } else {
        lines.push(renderOperation(this.table, operation));
        i += 1;
      }
    }
    return lines.map((line) => `${line}\n`).join('');
  }

  #elementRun(start: number): Element[] {
    const first = this.#operations[start];
    if (first?.object.kind !== 'element') return [];
    const run: Element[] = [];
    for (const operation of this.#operations.slice(start)) {
      const { object } = operation;
      if (object.kind !== 'element' || operation.verb !== first.verb || object.set !== first.object.set) break;
      run.push(object);
    }
    return run;
  }

  // Every operation is rendered once on the way in, so a bad value throws at the call
  // that brought it, and a transaction only ever holds operations that render.
  #push(verb: Verb, objects: readonly Deletable[]): this {
    const operations = objects.map((object) => ({ verb, object }));
    for (const operation of operations) {
      checkVerb(operation.verb, operation.object);
      renderOperation(this.table, operation);
    }
    this.#operations.push(...operations);
    return this;
  }
}
