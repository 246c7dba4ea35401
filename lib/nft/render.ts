// Objects and verbs → lines of `nft -f` text. Every token is checked (tokens.ts) on the
// way, so rendering is also validation: what cannot be rendered safely throws here.
import { CniError, ErrorCode } from '../cni/errors.js';
import {
  namedPriorities,
  type Chain,
  type ChainType,
  type Hook,
  type Policy,
  type SetFlag,
  type Element,
  type NftMap,
  type NftObject,
  type NftSet,
  type NamedRef,
  type Rule,
  type Table,
} from './objects.js';
import { checkLiteral, checkName, checkRuleText, checkType, checkValueLiteral, renderComment } from './tokens.js';

export type Verb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush';

export interface Operation {
  verb: Verb;
  object: NftObject | NamedRef;
}

const verbsByKind: Readonly<Record<NftObject['kind'], readonly Verb[]>> = {
  table: ['add', 'create', 'delete', 'flush'],
  chain: ['add', 'create', 'delete', 'flush'],
  set: ['add', 'create', 'delete', 'flush'],
  map: ['add', 'create', 'delete', 'flush'],
  element: ['add', 'create', 'delete'],
  rule: ['add', 'insert', 'replace', 'delete'],
};

function misuse(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

/** `{ a ; b ; }`, or nothing when there are no declarations. */
function body(declarations: readonly string[]): string {
  return declarations.length === 0 ? '' : ` { ${declarations.map((d) => `${d} ;`).join(' ')} }`;
}

function optionalComment(comment: string | undefined): string[] {
  return comment === undefined ? [] : [renderComment(comment)];
}

function priorityNumber(priority: Chain['priority']): number {
  const named = typeof priority === 'string' && Object.hasOwn(namedPriorities, priority);
  const value = typeof priority === 'string' ? (named ? namedPriorities[priority] : undefined) : priority;
  if (value === undefined || !Number.isSafeInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw misuse(`invalid chain priority ${String(priority)}`);
  }
  return value;
}

// The type system says which words fit; objects may also come from JSON, so check again.
function oneOf<T extends string>(what: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw misuse(`invalid ${what} ${JSON.stringify(value)}`);
  return value;
}

const chainTypes: readonly ChainType[] = ['filter', 'nat', 'route'];
const hooks: readonly Hook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const policies: readonly Policy[] = ['accept', 'drop'];
const setFlags: readonly SetFlag[] = ['constant', 'interval', 'timeout', 'dynamic'];

function chainDeclarations(chain: Chain): string[] {
  const declarations: string[] = [];
  if (chain.hook !== undefined) {
    if (chain.type === undefined || chain.priority === undefined) throw misuse(`base chain ${chain.name} needs a type and a priority`);
    const type = oneOf('chain type', chain.type, chainTypes);
    const hook = oneOf('hook', chain.hook, hooks);
    declarations.push(`type ${type} hook ${hook} priority ${priorityNumber(chain.priority)}`);
    if (chain.policy !== undefined) declarations.push(`policy ${oneOf('policy', chain.policy, policies)}`);
  } else if (chain.type !== undefined || chain.priority !== undefined || chain.policy !== undefined) {
    throw misuse(`chain ${chain.name} has a type, priority or policy but no hook`);
  }
  return [...declarations, ...optionalComment(chain.comment)];
}

function setDeclarations(set: NftSet | NftMap): string[] {
  const type = set.kind === 'map' ? `${checkType(set.type)} : ${checkType(set.valueType)}` : checkType(set.type);
  const flagList = (set.flags ?? []).map((flag) => oneOf('set flag', flag, setFlags));
  const flags = flagList.length > 0 ? [`flags ${flagList.join(',')}`] : [];
  return [`type ${type}`, ...flags, ...optionalComment(set.comment)];
}

function handleOf(object: { handle?: number }, what: string): number {
  if (object.handle === undefined || !Number.isSafeInteger(object.handle) || object.handle < 0) {
    throw misuse(`${what} needs a handle`);
  }
  return object.handle;
}

/** One element inside `{ }`: `key [comment "c"] [: value]` (delete names the key only). */
export function renderElementItem(verb: Verb, element: Element): string {
  if (element.key.length === 0) throw misuse(`element of ${element.set} has an empty key`);
  const key = element.key.map(checkLiteral).join(' . ');
  if (verb === 'delete') return key;
  const comment = element.comment === undefined ? '' : ` ${renderComment(element.comment)}`;
  const value = element.value === undefined ? '' : ` : ${valueText(element)}`;
  return `${key}${comment}${value}`;
}

function valueText(element: Element): string {
  if (element.value === undefined || element.value.length === 0) throw misuse(`element of ${element.set} has an empty value`);
  return element.value.map(checkValueLiteral).join(' . ');
}

/** `VERB element inet TABLE SET { e1, e2 }` for elements of one set. */
export function renderElements(table: string, verb: Verb, set: string, elements: readonly Element[]): string {
  if (elements.some((element) => element.set !== set)) throw misuse(`elements of other sets rendered as elements of ${set}`);
  const items = elements.map((element) => renderElementItem(verb, element)).join(', ');
  return `${verb} element inet ${checkName('table', table)} ${checkName('set', set)} { ${items} }`;
}

function rulePosition(verb: Verb, rule: Rule): string {
  if (verb === 'replace') return ` handle ${handleOf(rule, 'replace rule')}`;
  if (rule.handle !== undefined && rule.index !== undefined) throw misuse('a rule is positioned by handle or by index, not both');
  if (rule.handle !== undefined) return ` handle ${handleOf(rule, 'rule')}`;
  if (rule.index !== undefined) {
    if (!Number.isSafeInteger(rule.index) || rule.index < 0) throw misuse(`invalid rule index ${rule.index}`);
    return ` index ${rule.index}`;
  }
  return '';
}

function renderRule(table: string, verb: Verb, rule: Rule): string {
  const chain = checkName('chain', rule.chain);
  if (verb === 'delete') return `delete rule inet ${table} ${chain} handle ${handleOf(rule, 'delete rule')}`;
  if (rule.rule === undefined) throw misuse(`${verb} rule in ${chain} without rule text`);
  const comment = rule.comment === undefined ? '' : ` ${renderComment(rule.comment)}`;
  return `${verb} rule inet ${table} ${chain}${rulePosition(verb, rule)} ${checkRuleText(rule.rule)}${comment}`;
}

function declares(verb: Verb): boolean {
  return verb === 'add' || verb === 'create';
}

function renderTable(table: string, verb: Verb, object: Table): string {
  return `${verb} table inet ${table}${declares(verb) ? body(optionalComment(object.comment)) : ''}`;
}

function renderNamed(table: string, verb: Verb, object: Chain | NftSet | NftMap | NamedRef): string {
  const name = checkName(object.kind, object.name);
  if (!declares(verb)) return `${verb} ${object.kind} inet ${table} ${name}`;
  if (!isDeclaration(object)) throw misuse(`${verb} ${object.kind} ${name} needs its full declaration`);
  const declarations = object.kind === 'chain' ? chainDeclarations(object) : setDeclarations(object);
  return `${verb} ${object.kind} inet ${table} ${name}${body(declarations)}`;
}

function isDeclaration(object: Chain | NftSet | NftMap | NamedRef): object is Chain | NftSet | NftMap {
  return object.kind === 'chain' || 'type' in object;
}

export function checkVerb(verb: Verb, object: NftObject | NamedRef): void {
  if (!Object.hasOwn(verbsByKind, object.kind) || !verbsByKind[object.kind].includes(verb)) {
    throw misuse(`nft cannot ${verb} a ${String(object.kind)}`);
  }
}

/** One operation as one line of nft input (without the newline). */
export function renderOperation(table: string, operation: Operation): string {
  const { verb, object } = operation;
  checkName('table', table);
  checkVerb(verb, object);
  switch (object.kind) {
    case 'table':
      return renderTable(table, verb, object);
    case 'chain':
    case 'set':
    case 'map':
      return renderNamed(table, verb, object);
    case 'element':
      return renderElements(table, verb, object.set, [object]);
    case 'rule':
      return renderRule(table, verb, object);
  }
}
