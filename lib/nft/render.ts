// Objects and verbs → lines of `nft -f` text, addressed to one of our tables: a table name and
// a family from the closed set of objects.ts (`inet` unless told). Every token is checked
// (tokens.ts) on the way, so rendering is also validation: what cannot be rendered safely
// throws here.
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
  type TableFamily,
  tableFamilies,
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

// nft's names stand for other numbers in a bridge table (`filter` is -200 there): only inet's are ours.
function priorityNumber(priority: Chain['priority'], family: TableFamily): number {
  if (typeof priority === 'string' && family !== 'inet') throw misuse(`a chain of a ${family} table needs a numeric priority`);
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

/** `family` if it is one of ours (inet, bridge); values may come untyped, so this checks at run time. */
export function checkTableFamily(family: TableFamily): TableFamily {
  return oneOf('table family', family, tableFamilies);
}

/** `FAMILY TABLE`, both checked: the address of every line. */
function tableAddress(table: string, family: TableFamily): string {
  return `${checkTableFamily(family)} ${checkName('table', table)}`;
}

function chainDeclarations(chain: Chain, family: TableFamily): string[] {
  const declarations: string[] = [];
  if (chain.hook !== undefined) {
    if (chain.type === undefined || chain.priority === undefined) throw misuse(`base chain ${chain.name} needs a type and a priority`);
    const type = oneOf('chain type', chain.type, chainTypes);
    const hook = oneOf('hook', chain.hook, hooks);
    declarations.push(`type ${type} hook ${hook} priority ${priorityNumber(chain.priority, family)}`);
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

/** `VERB element FAMILY TABLE SET { e1, e2 }` for elements of one set. */
export function renderElements(table: string, verb: Verb, set: string, elements: readonly Element[], family: TableFamily = 'inet'): string {
  if (elements.some((element) => element.set !== set)) throw misuse(`elements of other sets rendered as elements of ${set}`);
  const items = elements.map((element) => renderElementItem(verb, element)).join(', ');
  return `${verb} element ${tableAddress(table, family)} ${checkName('set', set)} { ${items} }`;
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

function renderRule(at: string, verb: Verb, rule: Rule): string {
  const chain = checkName('chain', rule.chain);
  if (verb === 'delete') return `delete rule ${at} ${chain} handle ${handleOf(rule, 'delete rule')}`;
  if (rule.rule === undefined) throw misuse(`${verb} rule in ${chain} without rule text`);
  const comment = rule.comment === undefined ? '' : ` ${renderComment(rule.comment)}`;
  return `${verb} rule ${at} ${chain}${rulePosition(verb, rule)} ${checkRuleText(rule.rule)}${comment}`;
}

function declares(verb: Verb): boolean {
  return verb === 'add' || verb === 'create';
}

function renderTable(at: string, verb: Verb, object: Table): string {
  return `${verb} table ${at}${declares(verb) ? body(optionalComment(object.comment)) : ''}`;
}

function renderNamed(at: string, family: TableFamily, verb: Verb, object: Chain | NftSet | NftMap | NamedRef): string {
  const name = checkName(object.kind, object.name);
  if (!declares(verb)) return `${verb} ${object.kind} ${at} ${name}`;
  if (!isDeclaration(object)) throw misuse(`${verb} ${object.kind} ${name} needs its full declaration`);
  const declarations = object.kind === 'chain' ? chainDeclarations(object, family) : setDeclarations(object);
  return `${verb} ${object.kind} ${at} ${name}${body(declarations)}`;
}

function isDeclaration(object: Chain | NftSet | NftMap | NamedRef): object is Chain | NftSet | NftMap {
  return object.kind === 'chain' || 'type' in object;
}

export function checkVerb(verb: Verb, object: NftObject | NamedRef): void {
  if (!Object.hasOwn(verbsByKind, object.kind) || !verbsByKind[object.kind].includes(verb)) {
    throw misuse(`nft cannot ${verb} a ${String(object.kind)}`);
  }
}

/** One operation on table `FAMILY TABLE` as one line of nft input (without the newline). */
export function renderOperation(table: string, operation: Operation, family: TableFamily = 'inet'): string {
  const { verb, object } = operation;
  const at = tableAddress(table, family);
  checkVerb(verb, object);
  switch (object.kind) {
    case 'table':
      return renderTable(at, verb, object);
    case 'chain':
    case 'set':
    case 'map':
      return renderNamed(at, family, verb, object);
    case 'element':
      return renderElements(table, verb, object.set, [object], family);
    case 'rule':
      return renderRule(at, verb, object);
  }
}
