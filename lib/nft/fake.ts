// nftables in memory, for unit tests; the idea is knftables' Fake. It takes the same calls
// as the real executors (`-f -` transactions, `-j list ...` reads, `list tables`) and keeps
// the tables they build, so a test asserts the state a piece of code leaves behind (dump())
// rather than the text it sent. What it does, it does as nftables 1.0.6 does:
//
// - it understands exactly the command language lib/nft/render.ts writes (add, create, insert,
//   replace, delete, flush of tables, chains, sets, maps, elements and rules) and calls
//   anything else a syntax error: that would be a rendering bug;
// - a run is one batch: all of it applies, or (first failure) none of it does;
// - `add` of what exists is a no-op (an element keeps its comment; a map key with another
//   value is "File exists"), `create` of it and `delete` of what is missing fail with nft's
//   wording and error kind (lib/nft/errors.ts), and so do the kernel's other refusals we can
//   meet: a set or chain still referenced ("Device or resource busy"), a base chain declared
//   again with another hook ("Operation not supported"), a nat or route chain in a bridge
//   table (the kernel has only filter chains there: "No such file or directory"),
//   overlapping intervals;
// - element keys are checked and written as nft lists them (addresses canonical, intervals as
//   prefix, range or single value), so what is added by one spelling is deleted by another;
// - listings are nft's JSON, with rules as handle and comment only (`expr` is empty: the fake
//   keeps rule text, not expressions) and without table and chain comments, as 1.0.6 lists.
//
// Handles count per table from 1 and are used up as the kernel uses them (anonymous sets in
// rules take one each; a batch the kernel refused keeps the ones it took).
// test/e2e/nft-fake-parity.test.ts runs the same transactions here and through the real
// libnftables in a private namespace and compares the listings and failures.
import { type Address, familyBits, formatAddress, type IpFamily, parseAddress } from '../ip/index.js';
import { NftError, nftFailure } from './errors.js';
import type { NftExecutor } from './executor.js';
import { describeNftRun, NFT_CTX_OUTPUT_JSON, NFT_CTX_OUTPUT_TERSE, nftInvocation } from './invocation.js';
import type { ChainType, Hook, Policy, SetFlag } from './objects.js';

export interface NftCall {
  args: readonly string[];
  stdin: string;
}

/** Runs before a call; an Error it returns fails the call, and nothing changes. */
export type NftHook = (call: NftCall) => Error | undefined | Promise<Error | undefined>;

/** What dump() can be asked for: one line per object of these kinds. */
export type DumpKind = 'table' | 'chain' | 'set' | 'map' | 'rule' | 'element';

const NFT_VERSION = '1.0.6';

// ---- state ----

interface FakeElement {
  key: string[];
  value?: string[];
  comment?: string;
}

interface FakeSet {
  kind: 'set' | 'map';
  name: string;
  type: string[];
  valueType?: string[];
  flags: SetFlag[];
  comment?: string;
  handle: number;
  /** By key text (the normalized parts joined by ` . `). */
  elements: Map<string, FakeElement>;
}

interface FakeRule {
  handle: number;
  text: string;
  comment?: string;
}

interface FakeChain {
  name: string;
  handle: number;
  type?: ChainType;
  hook?: Hook;
  priority?: number;
  policy?: Policy;
  comment?: string;
  rules: FakeRule[];
}

interface FakeTable {
  family: string;
  name: string;
  handle: number;
  comment?: string;
  lastHandle: number;
  /** Sets and maps share one namespace, as in the kernel; in creation order. */
  sets: Map<string, FakeSet>;
  chains: Map<string, FakeChain>;
}

interface FakeState {
  tables: Map<string, FakeTable>;
  lastTableHandle: number;
}

function emptyState(): FakeState {
  return { tables: new Map(), lastTableHandle: 0 };
}

const tableId = (family: string, name: string) => `${family} ${name}`;

// ---- failures ----

const strerror = {
  EEXIST: 'File exists',
  ENOENT: 'No such file or directory',
  EBUSY: 'Device or resource busy',
  EOPNOTSUPP: 'Operation not supported',
  EINVAL: 'Invalid argument',
} as const;

/**
 * A command nft refuses. `stage` is where, in the order nft goes: parsing the whole input
 * (`syntax`), checking all of it (`user`), placing rules by handle or index once it read the
 * rules (`lookup`, only when nothing failed before), and the kernel (`kernel`, worded "Could
 * not process rule: <strerror>"; sent only when nothing failed before, and then the kernel
 * goes through all of the batch). The first failure of the earliest stage is what nft reports
 * first. `mark` is the text of the line nft points at.
 */
class Refusal extends Error {
  constructor(
    readonly stage: 'syntax' | 'user' | 'lookup' | 'kernel',
    message: string,
    readonly mark?: string,
  ) {
    super(message);
  }
}

const kernel = (errno: keyof typeof strerror, mark?: string) => new Refusal('kernel', `Could not process rule: ${strerror[errno]}`, mark);
const refused = (message: string, mark?: string) => new Refusal('user', message, mark);

/** Where `mark` stands on `line` as a word of its own (a table `t` is not the `t` of `table`). */
function markAt(line: string, mark: string): number {
  for (let at = line.indexOf(mark); at >= 0; at = line.indexOf(mark, at + 1)) {
    const before = line[at - 1] ?? ' ';
    const after = line[at + mark.length] ?? ' ';
    if (!/[A-Za-z0-9_]/.test(before) && !/[A-Za-z0-9_]/.test(after)) return at;
  }
  return line.indexOf(mark);
}

/** nft's report of a failed line: location, message, the line, carets under `mark`. */
function located(refusal: Refusal, line: string, lineNo: number, fromFile: boolean): string {
  const at = refusal.mark === undefined ? -1 : markAt(line, refusal.mark);
  const from = at < 0 ? line.length : at;
  const width = at < 0 ? 1 : Math.max(1, (refusal.mark as string).length);
  const where = fromFile ? `/dev/stdin:${lineNo}:${from + 1}-${from + width}: ` : '';
  return `${where}Error: ${refusal.message}\n${line}\n${' '.repeat(from)}${'^'.repeat(width)}\n`;
}

// ---- values ----

interface Span {
  lo: bigint;
  hi: bigint;
}

/** One part of a key, checked against its type: the text nft lists, and what it covers. */
interface Part {
  text: string;
  /** Addresses and ports: the values covered; anything else compares by text. */
  span?: Span;
}

const protocols = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp', 'icmp', 'icmpv6', 'esp', 'ah', 'gre', 'ipip']);
const verdicts = new Set(['accept', 'drop', 'continue', 'return']);
const integerTypes = new Set(['inet_service', 'mark', 'integer', 'ifindex']);
const stringTypes = new Set(['ifname', 'string']);

function hostBits(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

/** A span as nft lists it: a single value, an aligned prefix, or a range. */
function addressSpanText(family: IpFamily, span: Span): string {
  const at = (value: bigint) => formatAddress({ family, value });
  if (span.lo === span.hi) return at(span.lo);
  for (let prefix = 0; prefix < familyBits(family); prefix++) {
    const mask = hostBits(family, prefix);
    if ((span.lo & mask) === 0n && span.hi === (span.lo | mask)) return `${at(span.lo)}/${prefix}`;
  }
  return `${at(span.lo)}-${at(span.hi)}`;
}

function addressPart(literal: string, type: string, interval: boolean): Part {
  const family = type === 'ipv4_addr' ? 4 : 6;
  const parse = (text: string): Address => {
    const address = parseAddress(text);
    if (address === undefined) throw refused('Could not resolve hostname: Name or service not known', literal);
    if (address.family !== family) throw refused('Could not resolve hostname: Address family for hostname not supported', literal);
    return address;
  };
  const needInterval = (what: string) => {
    if (!interval) throw refused(`You must add 'flags interval' to your set declaration if you want to add ${what} elements`, literal);
  };
  let span: Span;
  const slash = literal.indexOf('/');
  const dash = literal.indexOf('-');
  if (slash >= 0) {
    needInterval('prefix');
    const prefixText = literal.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > familyBits(family))
      throw refused('Could not resolve hostname: Name or service not known', literal);
    const { value } = parse(literal.slice(0, slash));
    span = { lo: value & ~hostBits(family, prefix), hi: value | hostBits(family, prefix) };
  } else if (dash >= 0) {
    needInterval('range');
    span = { lo: parse(literal.slice(0, dash)).value, hi: parse(literal.slice(dash + 1)).value };
    if (span.lo > span.hi) throw refused('Range has zero or negative size', literal);
  } else {
    const { value } = parse(literal);
    span = { lo: value, hi: value };
  }
  return { text: addressSpanText(family, span), span };
}

function integerPart(literal: string, type: string, interval: boolean): Part {
  const max = type === 'inet_service' ? 65535n : 2n ** 32n - 1n;
  const number = (text: string): bigint => {
    if (!/^\d+$/.test(text))
      throw refused(
        type === 'inet_service' ? 'Could not resolve service: Servname not supported for ai_socktype' : 'Invalid integer',
        literal,
      );
    const value = BigInt(text);
    if (value > max) throw refused(type === 'inet_service' ? 'Service out of range' : 'Value exceeds valid range', literal);
    return value;
  };
  const dash = literal.indexOf('-');
  if (dash < 0) {
    const value = number(literal);
    return { text: String(value), span: { lo: value, hi: value } };
  }
  if (!interval) throw refused("You must add 'flags interval' to your set declaration if you want to add range elements", literal);
  const span = { lo: number(literal.slice(0, dash)), hi: number(literal.slice(dash + 1)) };
  if (span.lo > span.hi) throw refused('Range has zero or negative size', literal);
  return { text: span.lo === span.hi ? String(span.lo) : `${span.lo}-${span.hi}`, span };
}

function partOf(literal: string, type: string, interval: boolean): Part {
  if (type === 'ipv4_addr' || type === 'ipv6_addr') return addressPart(literal, type, interval);
  if (integerTypes.has(type)) return integerPart(literal, type, interval);
  if (type === 'inet_proto') {
    if (protocols.has(literal) || (/^\d{1,3}$/.test(literal) && Number(literal) <= 255)) return { text: literal };
    throw refused('Could not resolve protocol name', literal);
  }
  if (stringTypes.has(type)) {
    if (/^"[^"]*"$/.test(literal)) return { text: literal };
    if (/^[A-Za-z0-9_.:@+-]+$/.test(literal)) return { text: `"${literal}"` };
    throw refused('syntax error, unexpected string', literal);
  }
  if (type === 'verdict') {
    if (verdicts.has(literal) || /^(jump|goto) [A-Za-z][A-Za-z0-9_]*$/.test(literal)) return { text: literal };
    throw refused('Could not parse verdict', literal);
  }
  return { text: literal };
}

function overlaps(a: readonly Part[], b: readonly Part[]): boolean {
  return a.every((part, i) => {
    const other = b[i] as Part;
    if (part.span === undefined || other.span === undefined) return part.text === other.text;
    return part.span.lo <= other.span.hi && other.span.lo <= part.span.hi;
  });
}

/** One literal as nft's JSON writes it. */
function jsonPart(text: string, type: string): unknown {
  if (text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (type === 'verdict') {
    const [verdict = text, target] = text.split(' ');
    return target === undefined ? { [verdict]: null } : { [verdict]: { target } };
  }
  const numeric = integerTypes.has(type);
  const value = (t: string): unknown => (numeric ? Number(t) : t);
  const slash = text.indexOf('/');
  if (slash >= 0) return { prefix: { addr: text.slice(0, slash), len: Number(text.slice(slash + 1)) } };
  const dash = text.indexOf('-');
  if (dash >= 0 && (numeric || type.endsWith('_addr'))) return { range: [value(text.slice(0, dash)), value(text.slice(dash + 1))] };
  return value(text);
}

function jsonValue(parts: readonly string[], types: readonly string[]): unknown {
  const values = parts.map((part, i) => jsonPart(part, types[i] ?? ''));
  return values.length === 1 ? values[0] : { concat: values };
}

// ---- parsing ----

type TableFamily = string;

interface TableCommand {
  kind: 'table';
  verb: 'add' | 'create' | 'delete' | 'flush';
  family: TableFamily;
  table: string;
  comment?: string;
}

interface ChainDecl {
  type?: ChainType;
  hook?: Hook;
  priority?: number;
  policy?: Policy;
  comment?: string;
}

interface ChainCommand {
  kind: 'chain';
  verb: 'add' | 'create' | 'delete' | 'flush';
  family: TableFamily;
  table: string;
  name: string;
  decl?: ChainDecl;
}

interface SetDecl {
  type: string[];
  valueType?: string[];
  flags: SetFlag[];
  comment?: string;
}

interface SetCommand {
  kind: 'set' | 'map';
  verb: 'add' | 'create' | 'delete' | 'flush';
  family: TableFamily;
  table: string;
  name: string;
  decl?: SetDecl;
}

interface ElementItem {
  key: string[];
  value?: string[];
  comment?: string;
  /** The item's text on the line, for error marks. */
  source: string;
}

interface ElementCommand {
  kind: 'element';
  verb: 'add' | 'create' | 'delete';
  family: TableFamily;
  table: string;
  set: string;
  items: ElementItem[];
}

interface RuleCommand {
  kind: 'rule';
  verb: 'add' | 'insert' | 'replace' | 'delete';
  family: TableFamily;
  table: string;
  chain: string;
  position?: { by: 'handle' | 'index'; at: number; source: string };
  text?: string;
  comment?: string;
}

type Command = TableCommand | ChainCommand | SetCommand | ElementCommand | RuleCommand;

type ListCommand =
  | { what: 'tables' | 'ruleset' }
  | { what: 'table'; family: TableFamily; table: string }
  | { what: 'chain' | 'set' | 'map'; family: TableFamily; table: string; name: string };

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const chainTypes: readonly ChainType[] = ['filter', 'nat', 'route'];
const hooks: readonly Hook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const policies: readonly Policy[] = ['accept', 'drop'];
const setFlags: readonly SetFlag[] = ['constant', 'interval', 'timeout', 'dynamic'];

function syntax(found?: string): Refusal {
  return new Refusal('syntax', found === undefined ? 'syntax error, unexpected end of line' : `syntax error, unexpected ${found}`, found);
}

/** Words, quoted strings (quotes kept) and the single characters `{ } ; ,`. */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < line.length; ) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if ('{};,'.includes(c)) {
      tokens.push(c);
      i++;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw syntax('unterminated string');
      tokens.push(line.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t{};,"'.includes(line[j] as string)) j++;
      tokens.push(line.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

class Tokens {
  #at = 0;
  constructor(readonly list: readonly string[]) {}

  peek(): string | undefined {
    return this.list[this.#at];
  }

  next(): string {
    const token = this.list[this.#at++];
    if (token === undefined) throw syntax();
    return token;
  }

  expect(word: string): void {
    const token = this.next();
    if (token !== word) throw syntax(token);
  }

  accept(word: string): boolean {
    if (this.peek() !== word) return false;
    this.#at++;
    return true;
  }

  name(): string {
    const token = this.next();
    if (!NAME.test(token)) throw syntax(token);
    return token;
  }

  family(): TableFamily {
    const token = this.next();
    if (!FAMILIES.has(token)) throw syntax(token);
    return token;
  }

  quoted(): string {
    const token = this.next();
    if (!/^"[^"]*"$/.test(token)) throw syntax(token);
    return token.slice(1, -1);
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    const token = this.next();
    if (!allowed.includes(token as T)) throw syntax(token);
    return token as T;
  }

  end(): void {
    const token = this.peek();
    if (token !== undefined) throw syntax(token);
  }
}

/** `{ stmt ; stmt ; }` → each statement's tokens; nothing when there is no body. */
function statements(tokens: Tokens): string[][] {
  if (!tokens.accept('{')) return [];
  const body: string[][] = [];
  let current: string[] = [];
  for (let token = tokens.next(); token !== '}'; token = tokens.next()) {
    if (token === ';') {
      if (current.length > 0) body.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) body.push(current);
  return body;
}

/** `a . b . c` → the parts. */
function dotted(tokens: Tokens, stop: (token: string | undefined) => boolean): string[] {
  const parts = [tokens.next()];
  while (!stop(tokens.peek())) {
    tokens.expect('.');
    parts.push(tokens.next());
  }
  if (parts.some((part) => part === '.' || part === ':')) throw syntax('.');
  return parts;
}

function tableDecl(body: string[][]): { comment?: string } {
  const decl: { comment?: string } = {};
  for (const statement of body) {
    const tokens = new Tokens(statement);
    tokens.expect('comment');
    decl.comment = tokens.quoted();
    tokens.end();
  }
  return decl;
}

function chainDecl(body: string[][]): ChainDecl {
  const decl: ChainDecl = {};
  for (const statement of body) {
    const tokens = new Tokens(statement);
    const word = tokens.next();
    if (word === 'type') {
      decl.type = tokens.oneOf(chainTypes);
      tokens.expect('hook');
      decl.hook = tokens.oneOf(hooks);
      tokens.expect('priority');
      const priority = tokens.next();
      if (!/^-?\d+$/.test(priority)) throw syntax(priority);
      decl.priority = Number(priority);
    } else if (word === 'policy') {
      decl.policy = tokens.oneOf(policies);
    } else if (word === 'comment') {
      decl.comment = tokens.quoted();
    } else {
      throw syntax(word);
    }
    tokens.end();
  }
  return decl;
}

function setDecl(kind: 'set' | 'map', body: string[][]): SetDecl {
  let decl: SetDecl | undefined;
  let flags: SetFlag[] = [];
  let comment: string | undefined;
  for (const statement of body) {
    const tokens = new Tokens(statement);
    const word = tokens.next();
    if (word === 'type') {
      const type = dotted(tokens, (t) => t === undefined || t === ':');
      const valueType = tokens.accept(':') ? dotted(tokens, (t) => t === undefined) : undefined;
      if ((kind === 'map') !== (valueType !== undefined)) throw syntax(kind === 'map' ? 'end of map type' : ':');
      decl = { type, ...(valueType && { valueType }), flags: [] };
    } else if (word === 'flags') {
      flags = [tokens.oneOf(setFlags)];
      while (tokens.accept(',')) flags.push(tokens.oneOf(setFlags));
    } else if (word === 'comment') {
      comment = tokens.quoted();
    } else {
      throw syntax(word);
    }
    tokens.end();
  }
  if (decl === undefined) throw syntax(`${kind} without a type`);
  return { ...decl, flags, ...(comment !== undefined && { comment }) };
}

function valueLiterals(tokens: Tokens): string[] {
  const parts: string[] = [];
  do {
    const word = tokens.next();
    parts.push(word === 'jump' || word === 'goto' ? `${word} ${tokens.name()}` : word);
  } while (tokens.accept('.'));
  return parts;
}

function elementItems(tokens: Tokens): ElementItem[] {
  tokens.expect('{');
  const items: ElementItem[] = [];
  for (;;) {
    const key = [tokens.next()];
    while (tokens.accept('.')) key.push(tokens.next());
    // nft points at the key and its comment
    const item: ElementItem = { key, source: key.join(' . ') };
    if (tokens.accept('comment')) {
      item.comment = tokens.quoted();
      item.source += ` comment "${item.comment}"`;
    }
    if (tokens.accept(':')) item.value = valueLiterals(tokens);
    if ([...item.key, ...(item.value ?? [])].some((part) => '{},;:'.includes(part))) throw syntax(item.source);
    items.push(item);
    const separator = tokens.next();
    if (separator === '}') break;
    if (separator !== ',') throw syntax(separator);
  }
  tokens.end();
  return items;
}

const RULE = /^(add|insert|replace) rule (\S+) (\S+) (\S+)( (handle|index) (\d+))? (.+?)( comment "([^"]*)")?$/;
const DELETE_RULE = /^delete rule (\S+) (\S+) (\S+) handle (\d+)$/;

function ruleCommand(line: string): RuleCommand | undefined {
  const deletion = DELETE_RULE.exec(line);
  if (deletion) {
    const [, family = '', table = '', chain = '', handle = ''] = deletion;
    return { kind: 'rule', verb: 'delete', family, table, chain, position: { by: 'handle', at: Number(handle), source: handle } };
  }
  const match = RULE.exec(line);
  if (!match) return undefined;
  const [, verb, family = '', table = '', chain = '', , by, at, text = '', , comment] = match;
  const command: RuleCommand = { kind: 'rule', verb: verb as RuleCommand['verb'], family, table, chain, text };
  if (by !== undefined && at !== undefined) command.position = { by: by as 'handle' | 'index', at: Number(at), source: at };
  if (comment !== undefined) command.comment = comment;
  if (verb === 'replace' && command.position?.by !== 'handle') throw syntax(text);
  return command;
}

function checkRuleNames(command: RuleCommand): void {
  if (!FAMILIES.has(command.family)) throw syntax(command.family);
  if (!NAME.test(command.table)) throw syntax(command.table);
  if (!NAME.test(command.chain)) throw syntax(command.chain);
}

/** One line of `nft -f` input as render.ts writes it. */
function parseCommand(line: string): Command {
  if (/^\S+ rule /.test(line)) {
    const rule = ruleCommand(line);
    if (rule === undefined) throw syntax(line.split(' ')[0]);
    checkRuleNames(rule);
    return rule;
  }
  const tokens = new Tokens(tokenize(line));
  const verb = tokens.oneOf(['add', 'create', 'delete', 'flush'] as const);
  const kind = tokens.oneOf(['table', 'chain', 'set', 'map', 'element'] as const);
  const family = tokens.family();
  const table = tokens.name();
  switch (kind) {
    case 'table': {
      const command: TableCommand = { kind, verb, family, table };
      const decl = verb === 'add' || verb === 'create' ? tableDecl(statements(tokens)) : {};
      tokens.end();
      return decl.comment === undefined ? command : { ...command, comment: decl.comment };
    }
    case 'chain': {
      const name = tokens.name();
      const declares = verb === 'add' || verb === 'create';
      const decl = declares ? chainDecl(statements(tokens)) : undefined;
      tokens.end();
      return { kind, verb, family, table, name, ...(decl && { decl }) };
    }
    case 'set':
    case 'map': {
      const name = tokens.name();
      const declares = verb === 'add' || verb === 'create';
      const decl = declares ? setDecl(kind, statements(tokens)) : undefined;
      tokens.end();
      return { kind, verb, family, table, name, ...(decl && { decl }) };
    }
    case 'element': {
      if (verb === 'flush') throw syntax('flush element');
      const set = tokens.name();
      return { kind, verb, family, table, set, items: elementItems(tokens) };
    }
  }
}

function parseList(words: readonly string[]): ListCommand {
  const tokens = new Tokens(words);
  tokens.expect('list');
  const what = tokens.oneOf(['tables', 'ruleset', 'table', 'chain', 'set', 'map'] as const);
  if (what === 'tables' || what === 'ruleset') {
    tokens.end();
    return { what };
  }
  const family = tokens.family();
  const table = tokens.name();
  if (what === 'table') {
    tokens.end();
    return { what, family, table };
  }
  const name = tokens.name();
  tokens.end();
  return { what, family, table, name };
}

// ---- applying ----

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (a ?? []).join(' ') === (b ?? []).join(' ');
}

/** `@set` and `jump chain` / `goto chain` in rule text. */
function referencesOf(text: string): { sets: string[]; chains: string[] } {
  return {
    sets: [...text.matchAll(/@([A-Za-z][A-Za-z0-9_]*)/g)].map((m) => m[1] as string),
    chains: [...text.matchAll(/\b(?:jump|goto) ([A-Za-z][A-Za-z0-9_]*)/g)].map((m) => m[1] as string),
  };
}

/**
 * Whether NAT in `text` may run where `chain` is hooked: masquerade and snat after routing,
 * dnat before it. A chain without a hook is checked where it is jumped to, which the fake
 * does not follow.
 */
function fitsHook(text: string, chain: FakeChain): boolean {
  if (chain.hook === undefined) return true;
  const nat = chain.type === 'nat';
  if (/\b(masquerade|snat)\b/.test(text) && !(nat && (chain.hook === 'postrouting' || chain.hook === 'input'))) return false;
  if (
    /\bdnat\b/.test(text.replace(/ct status dnat|ct status & dnat/g, '')) &&
    !(nat && (chain.hook === 'prerouting' || chain.hook === 'output'))
  )
    return false;
  return true;
}

const setId = (table: FakeTable, name: string) => `${tableId(table.family, table.name)} ${name}`;

/** The parts of an element's key, as the set's type reads them. */
function partsOf(set: FakeSet, element: FakeElement): Part[] {
  return element.key.map((literal, i) => partOf(literal, set.type[i] as string, true));
}

function isSingleInterval(set: FakeSet): boolean {
  return set.flags.includes('interval') && set.type.length === 1;
}

/** A rule placed by handle or index: nft then reads the rules, and looks up every rule's table and chain itself. */
function needsRules(command: Command): boolean {
  return command.kind === 'rule' && command.position !== undefined && (command.verb === 'add' || command.verb === 'insert');
}

/**
 * One run's commands applied in turn to a copy of the state (`before` stays as it was).
 * `rulesRead`: the input places a rule by handle or index, so nft read the rules (needsRules).
 */
class Batch {
  readonly state: FakeState;
  /** Tables the batch deleted, by handle: the last handle each had given out. */
  readonly deleted = new Map<number, number>();
  /** Sets the input deletes (by table id and name): see #cachedSet. */
  readonly #forgotten = new Set<string>();

  constructor(
    readonly before: FakeState,
    readonly rulesRead: boolean,
  ) {
    this.state = structuredClone(before);
  }

  apply(command: Command): void {
    switch (command.kind) {
      case 'table':
        return this.#table(command);
      case 'chain':
        return this.#chain(command);
      case 'set':
      case 'map':
        return this.#set(command);
      case 'element':
        return this.#elements(command);
      case 'rule':
        return this.#rule(command);
    }
  }

  #findTable(family: TableFamily, name: string, failure: () => Refusal): FakeTable {
    const table = this.state.tables.get(tableId(family, name));
    if (table === undefined) throw failure();
    return table;
  }

  #table(command: TableCommand): void {
    const id = tableId(command.family, command.table);
    const table = this.state.tables.get(id);
    if (command.verb === 'add' || command.verb === 'create') {
      if (table !== undefined) {
        if (command.verb === 'create') throw kernel('EEXIST', command.table);
        return;
      }
      this.state.tables.set(id, {
        family: command.family,
        name: command.table,
        handle: ++this.state.lastTableHandle,
        ...(command.comment !== undefined && { comment: command.comment }),
        lastHandle: 0,
        sets: new Map(),
        chains: new Map(),
      });
      return;
    }
    if (table === undefined) throw kernel('ENOENT', command.table);
    if (command.verb === 'delete') {
      this.deleted.set(table.handle, table.lastHandle);
      this.state.tables.delete(id);
    } else for (const chain of table.chains.values()) chain.rules = [];
  }

  #chain(command: ChainCommand): void {
    const declares = command.verb === 'add' || command.verb === 'create';
    const table = this.#findTable(command.family, command.table, () =>
      declares ? refused(strerror.ENOENT, command.table) : kernel('ENOENT', command.table),
    );
    const chain = table.chains.get(command.name);
    const decl = command.decl ?? {};
    if (declares) {
      if (chain === undefined) {
        if (table.family === 'bridge' && decl.type !== undefined && decl.type !== 'filter') throw kernel('ENOENT', decl.type);
        table.chains.set(command.name, {
          name: command.name,
          handle: ++table.lastHandle,
          ...decl,
          ...(decl.hook !== undefined && { policy: decl.policy ?? 'accept' }),
          rules: [],
        });
        return;
      }
      if (command.verb === 'create') throw kernel('EEXIST', command.name);
      if (decl.hook !== undefined) {
        const same = chain.hook === decl.hook && chain.type === decl.type && chain.priority === decl.priority;
        if (!same) throw kernel('EOPNOTSUPP', command.name);
        if (decl.policy !== undefined) chain.policy = decl.policy;
      }
      return;
    }
    if (chain === undefined) throw kernel('ENOENT', command.name);
    if (command.verb === 'flush') {
      chain.rules = [];
      return;
    }
    if (this.#chainInUse(table, command.name)) throw kernel('EBUSY', command.name);
    table.chains.delete(command.name);
  }

  #chainInUse(table: FakeTable, name: string): boolean {
    for (const chain of table.chains.values()) {
      if (chain.name !== name && chain.rules.some((rule) => referencesOf(rule.text).chains.includes(name))) return true;
    }
    for (const set of table.sets.values()) {
      if (set.valueType?.[0] !== 'verdict') continue;
      for (const element of set.elements.values())
        if (/^(jump|goto) /.test(element.value?.[0] ?? '') && element.value?.[0]?.split(' ')[1] === name) return true;
    }
    return false;
  }

  #set(command: SetCommand): void {
    const declares = command.verb === 'add' || command.verb === 'create';
    // nft looks the table up itself for all but delete
    const table = this.#findTable(command.family, command.table, () =>
      command.verb === 'delete' ? kernel('ENOENT', command.table) : refused(strerror.ENOENT, command.table),
    );
    const set = table.sets.get(command.name);
    if (declares) this.#forgotten.delete(setId(table, command.name));
    else if (command.verb === 'delete') this.#forgotten.add(setId(table, command.name));
    if (declares) {
      const decl = command.decl as SetDecl;
      if (set === undefined) {
        table.sets.set(command.name, { kind: command.kind, name: command.name, ...decl, handle: ++table.lastHandle, elements: new Map() });
        return;
      }
      const same =
        set.kind === command.kind &&
        sameList(set.type, decl.type) &&
        sameList(set.valueType, decl.valueType) &&
        sameList(set.flags, decl.flags);
      if (command.verb === 'create' || !same) throw kernel('EEXIST', command.name);
      return;
    }
    if (command.verb === 'flush') {
      // nft looks the name up among objects of the kind it was told
      if (this.#cachedSet(table, command.name)?.kind !== command.kind) throw refused(strerror.ENOENT, command.name);
      set?.elements.clear();
      return;
    }
    // ...but `delete set` and `delete map` both delete whichever has the name
    if (set === undefined) throw kernel('ENOENT', command.name);
    for (const chain of table.chains.values()) {
      if (chain.rules.some((rule) => referencesOf(rule.text).sets.includes(command.name))) throw kernel('EBUSY', command.name);
    }
    table.sets.delete(command.name);
  }

  #elements(command: ElementCommand): void {
    const table = this.#findTable(command.family, command.table, () => refused(strerror.ENOENT, command.table));
    const set = this.#cachedSet(table, command.set);
    if (set === undefined) throw refused(strerror.ENOENT, command.set);
    if (command.verb !== 'delete' && isSingleInterval(set)) this.#checkConflicts(set, command.items);
    for (const item of command.items) {
      if (command.verb === 'delete') this.#deleteElement(set, item);
      else this.#addElement(table, set, item, command.verb === 'create');
    }
  }

  /** nft refuses overlapping intervals within one command before it compares them with the set. */
  #checkConflicts(set: FakeSet, items: readonly ElementItem[]): void {
    const keys = items.map((item) => this.#key(set, item));
    for (const [i, key] of keys.entries()) {
      const text = key.map((part) => part.text).join(' . ');
      const other = keys.findIndex((k, j) => j < i && k.map((part) => part.text).join(' . ') !== text && overlaps(k, key));
      if (other >= 0) throw refused('conflicting intervals specified', (items[i] as ElementItem).source);
    }
  }

  /**
   * A set as nft sees it while it checks the input: a set the input deletes is gone from its
   * cache, even where the kernel would then refuse to delete it.
   */
  #cachedSet(table: FakeTable, name: string): FakeSet | undefined {
    return this.#forgotten.has(setId(table, name)) ? undefined : table.sets.get(name);
  }

  #key(set: FakeSet, item: ElementItem): Part[] {
    if (item.key.length !== set.type.length) {
      throw refused(`invalid data type, expected concatenation of (${set.type.join(', ')})`, item.source);
    }
    return item.key.map((literal, i) => partOf(literal, set.type[i] as string, set.flags.includes('interval')));
  }

  #addElement(table: FakeTable, set: FakeSet, item: ElementItem, create: boolean): void {
    const key = this.#key(set, item);
    let value: string[] | undefined;
    if (item.value !== undefined) {
      if (set.valueType === undefined) throw refused('set is not a map', item.source);
      if (item.value.length !== set.valueType.length)
        throw refused(`invalid data type, expected concatenation of (${set.valueType.join(', ')})`, item.source);
      value = item.value.map((literal, i) => partOf(literal, (set.valueType as string[])[i] as string, false).text);
      const target = set.valueType[0] === 'verdict' ? /^(?:jump|goto) (\S+)$/.exec(value[0] as string)?.[1] : undefined;
      if (target !== undefined && !table.chains.has(target)) throw kernel('ENOENT', item.source);
    } else if (set.valueType !== undefined) {
      throw kernel('EINVAL', item.source);
    }
    const id = key.map((part) => part.text).join(' . ');
    const existing = set.elements.get(id);
    if (existing !== undefined) {
      if (create || !sameList(existing.value, value)) throw kernel('EEXIST', item.source);
      return;
    }
    if (set.flags.includes('interval')) {
      for (const other of set.elements.values()) {
        if (!overlaps(key, partsOf(set, other))) continue;
        throw isSingleInterval(set) ? refused('interval overlaps with an existing one', item.source) : kernel('EEXIST', item.source);
      }
    }
    set.elements.set(id, {
      key: key.map((part) => part.text),
      ...(value && { value }),
      ...(item.comment !== undefined && { comment: item.comment }),
    });
  }

  #deleteElement(set: FakeSet, item: ElementItem): void {
    const key = this.#key(set, item);
    if (set.elements.delete(key.map((part) => part.text).join(' . '))) return;
    if (isSingleInterval(set)) throw refused('element does not exist', item.source);
    // a concatenation of intervals loses the element its key starts in (kernel 6.x, nft 1.0.6)
    if (set.flags.includes('interval')) {
      const start = key.map((part): Part => (part.span === undefined ? part : { ...part, span: { lo: part.span.lo, hi: part.span.lo } }));
      for (const [id, element] of set.elements) {
        if (!overlaps(start, partsOf(set, element))) continue;
        set.elements.delete(id);
        return;
      }
    }
    throw kernel('ENOENT', item.source);
  }

  #rule(command: RuleCommand): void {
    const text = command.text ?? '';
    const references = referencesOf(text);
    // nft looks the sets a rule names up itself, before anything goes to the kernel
    const maybeTable = this.state.tables.get(tableId(command.family, command.table));
    const missingSet = references.sets.find((name) => maybeTable === undefined || this.#cachedSet(maybeTable, name) === undefined);
    if (missingSet !== undefined) throw refused(strerror.ENOENT, `@${missingSet}`);
    // and, when it read the rules, the table and chain of every rule it adds or replaces
    const lookedUp = this.rulesRead && command.verb !== 'delete';
    const missing = (name: string) => (lookedUp ? new Refusal('lookup', strerror.ENOENT, name) : kernel('ENOENT', name));
    const table = this.#findTable(command.family, command.table, () => missing(command.table));
    // each `{ ... }` in a rule is an anonymous set, sent (and numbered) before the rule
    if (command.verb !== 'delete') table.lastHandle += text.split('{').length - 1;
    const chain = table.chains.get(command.chain);
    if (chain === undefined) throw missing(command.chain);
    const position = command.position;
    const mark = position === undefined ? '' : position.by === 'handle' ? position.source : `index ${position.source}`;
    const indexOf = (known: (rule: FakeRule) => boolean) => {
      if (position === undefined) return -1;
      const at = position.by === 'handle' ? chain.rules.findIndex((rule) => rule.handle === position.at && known(rule)) : position.at;
      return at < chain.rules.length ? at : -1;
    };
    // nft places a rule by the rules it read: none added in this batch has a handle yet
    if (needsRules(command) && indexOf((rule) => rule.handle <= this.#handlesBefore(table)) < 0) {
      throw new Refusal('lookup', `Could not process rule: ${strerror.ENOENT}`, mark);
    }
    if (command.verb === 'delete' || command.verb === 'replace') {
      const at = indexOf(() => true);
      if (at < 0) throw kernel('ENOENT', mark);
      if (command.verb === 'replace' && !fitsHook(text, chain)) throw kernel('EOPNOTSUPP', command.chain);
      if (command.verb === 'delete') chain.rules.splice(at, 1);
      else
        chain.rules[at] = {
          handle: (chain.rules[at] as FakeRule).handle,
          text,
          ...(command.comment !== undefined && { comment: command.comment }),
        };
      return;
    }
    // the kernel numbers a new rule before it looks at its position and its jumps
    const rule: FakeRule = { handle: ++table.lastHandle, text, ...(command.comment !== undefined && { comment: command.comment }) };
    const at = indexOf(() => true);
    if (position !== undefined && at < 0) throw kernel('ENOENT', mark);
    const missingChain = references.chains.find((name) => !table.chains.has(name));
    if (missingChain !== undefined) throw kernel('ENOENT', missingChain);
    if (!fitsHook(text, chain)) throw kernel('EOPNOTSUPP', command.chain);
    if (command.verb === 'add') chain.rules.splice(position === undefined ? chain.rules.length : at + 1, 0, rule);
    else chain.rules.splice(position === undefined ? 0 : at, 0, rule);
  }

  /** The last handle `table` had given out when the batch began (0 for a table made in it). */
  #handlesBefore(table: FakeTable): number {
    const before = this.before.tables.get(tableId(table.family, table.name));
    return before?.handle === table.handle ? before.lastHandle : 0;
  }
}

/** Into `state`, the handle counters a batch (even a refused one) moved on. */
function keepCounters(state: FakeState, batch: Batch): void {
  state.lastTableHandle = batch.state.lastTableHandle;
  for (const [id, table] of state.tables) {
    const counted = batch.state.tables.get(id);
    table.lastHandle = counted?.handle === table.handle ? counted.lastHandle : (batch.deleted.get(table.handle) ?? table.lastHandle);
  }
}

// ---- listing ----

function setJson(table: FakeTable, set: FakeSet, terse: boolean): unknown {
  const entry: Record<string, unknown> = {
    family: table.family,
    name: set.name,
    table: table.name,
    type: set.type.length === 1 ? set.type[0] : [...set.type],
    handle: set.handle,
  };
  if (set.valueType !== undefined) entry.map = set.valueType.join(' . ');
  if (set.comment !== undefined) entry.comment = set.comment;
  // 1.0.6 does not list `dynamic`
  const flags = set.flags.filter((flag) => flag !== 'dynamic');
  if (flags.length > 0) entry.flags = flags;
  if (!terse && set.elements.size > 0) {
    entry.elem = [...set.elements.values()].map((element) => {
      const key = jsonValue(element.key, set.type);
      const wrapped = element.comment === undefined ? key : { elem: { val: key, comment: element.comment } };
      return set.valueType === undefined ? wrapped : [wrapped, jsonValue(element.value ?? [], set.valueType)];
    });
  }
  return { [set.kind]: entry };
}

function chainJson(table: FakeTable, chain: FakeChain): unknown {
  const entry: Record<string, unknown> = { family: table.family, table: table.name, name: chain.name, handle: chain.handle };
  if (chain.hook !== undefined) Object.assign(entry, { type: chain.type, hook: chain.hook, prio: chain.priority, policy: chain.policy });
  return { chain: entry };
}

function rulesJson(table: FakeTable, chain: FakeChain): unknown[] {
  return chain.rules.map((rule) => ({
    rule: {
      family: table.family,
      table: table.name,
      chain: chain.name,
      handle: rule.handle,
      ...(rule.comment !== undefined && { comment: rule.comment }),
      expr: [],
    },
  }));
}

function tableJson(table: FakeTable, terse: boolean): unknown[] {
  const chains = [...table.chains.values()];
  return [
    { table: { family: table.family, name: table.name, handle: table.handle } },
    ...[...table.sets.values()].map((set) => setJson(table, set, terse)),
    ...chains.map((chain) => chainJson(table, chain)),
    ...chains.flatMap((chain) => rulesJson(table, chain)),
  ];
}

function listingText(items: readonly unknown[]): string {
  const metainfo = { metainfo: { version: NFT_VERSION, release_name: 'Lester Gooch #5', json_schema_version: 1 } };
  return `${JSON.stringify({ nftables: [metainfo, ...items] })}\n`;
}

// ---- dump ----

/** Natural order: `tcp . 80` before `tcp . 8080`, `10.0.0.2` before `10.0.0.10`. */
function natural(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const [x, y] = [chunks(a), chunks(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i] as string, y[i] as string];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) return Number(p) - Number(q) || p.length - q.length;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

const byName = <T extends { name: string }>(items: Iterable<T>) =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const body = (declarations: readonly string[]) => (declarations.length === 0 ? '' : ` { ${declarations.map((d) => `${d} ;`).join(' ')} }`);
const commentDecl = (comment: string | undefined) => (comment === undefined ? [] : [`comment "${comment}"`]);

function dumpTable(table: FakeTable, kinds: ReadonlySet<DumpKind>): string[] {
  const at = `${table.family} ${table.name}`;
  const lines: string[] = [];
  if (kinds.has('table')) lines.push(`add table ${at}${body(commentDecl(table.comment))}`);
  const sets = byName(table.sets.values());
  const chains = byName(table.chains.values());
  for (const set of sets) {
    if (!kinds.has(set.kind)) continue;
    const type = set.valueType === undefined ? set.type.join(' . ') : `${set.type.join(' . ')} : ${set.valueType.join(' . ')}`;
    const flags = set.flags.length > 0 ? [`flags ${set.flags.join(',')}`] : [];
    lines.push(`add ${set.kind} ${at} ${set.name}${body([`type ${type}`, ...flags, ...commentDecl(set.comment)])}`);
  }
  if (kinds.has('chain')) {
    for (const chain of chains) {
      const base =
        chain.hook === undefined ? [] : [`type ${chain.type} hook ${chain.hook} priority ${chain.priority}`, `policy ${chain.policy}`];
      lines.push(`add chain ${at} ${chain.name}${body([...base, ...commentDecl(chain.comment)])}`);
    }
  }
  if (kinds.has('rule')) {
    for (const chain of chains) {
      for (const rule of chain.rules)
        lines.push(`add rule ${at} ${chain.name} ${rule.text}${rule.comment === undefined ? '' : ` comment "${rule.comment}"`}`);
    }
  }
  if (kinds.has('element')) {
    for (const set of sets) {
      const items = [...set.elements.values()].map((element) => {
        const comment = element.comment === undefined ? '' : ` comment "${element.comment}"`;
        const value = element.value === undefined ? '' : ` : ${element.value.join(' . ')}`;
        return `${element.key.join(' . ')}${comment}${value}`;
      });
      for (const item of items.sort(natural)) lines.push(`add element ${at} ${set.name} { ${item} }`);
    }
  }
  return lines;
}

const allKinds: readonly DumpKind[] = ['table', 'chain', 'set', 'map', 'rule', 'element'];

// ---- the executor ----

export class FakeNft implements NftExecutor {
  /** Every run, in order: arguments and the `-f -` input. */
  readonly calls: NftCall[] = [];
  #state: FakeState = emptyState();
  #hook: NftHook | undefined;

  /** `hook` runs before every call (see onRun). */
  constructor(hook?: NftHook) {
    this.#hook = hook;
  }

  /** Run `hook` before each call from now on: to watch, or to fail a call (return an Error). */
  onRun(hook: NftHook | undefined): this {
    this.#hook = hook;
    return this;
  }

  /** The inputs of the `-f -` calls, in order. */
  get inputs(): string[] {
    return this.calls.filter((call) => call.args.includes('-f')).map((call) => call.stdin);
  }

  async run(args: readonly string[], stdin = ''): Promise<string> {
    const call = { args: [...args], stdin };
    this.calls.push(call);
    const injected = await this.#hook?.(call);
    if (injected instanceof Error) throw injected;
    return this.#run(call.args, stdin);
  }

  /** Apply `script` (nft -f syntax) as one batch, outside the recorded calls: a test's starting state. */
  load(script: string): this {
    this.#apply(script, true, ['-f', '-']);
    return this;
  }

  /**
   * The state as nft commands that would rebuild it, one object per line: per table (by family
   * and name) the table, sets and maps, chains (each by name), rules (in chain order) and
   * elements (one per line, in natural order of their keys); only lines of `kinds` when given.
   * No handles, and nothing that depends on the order things were added in.
   */
  dump(kinds: readonly DumpKind[] = allKinds): string {
    const wanted = new Set(kinds);
    const tables = [...this.#state.tables.values()].sort((a, b) => natural(tableId(a.family, a.name), tableId(b.family, b.name)));
    return tables
      .flatMap((table) => dumpTable(table, wanted))
      .map((line) => `${line}\n`)
      .join('');
  }

  #run(args: readonly string[], stdin: string): string {
    const invocation = nftInvocation(args, stdin);
    const json = (invocation.outputFlags & NFT_CTX_OUTPUT_JSON) !== 0;
    const terse = (invocation.outputFlags & NFT_CTX_OUTPUT_TERSE) !== 0;
    if (!invocation.fromFile && invocation.command.startsWith('list ')) return this.#list(args, invocation.command, json, terse);
    this.#apply(invocation.command, invocation.fromFile, args, invocation.dryRun);
    return '';
  }

  /**
   * Run `script` as one batch on a copy of the state; keep the copy when all of it went
   * through (and this is no dry run). What the kernel saw, it numbered: a batch it refused, or
   * only checked, still uses up the handles its objects took, as in the kernel.
   */
  #apply(script: string, fromFile: boolean, args: readonly string[], dryRun = false): void {
    const failure = (refusal: Refusal, line: string, index: number) =>
      nftFailure(describeNftRun(args), located(refusal, line, index + 1, fromFile), 1);
    // nft parses the whole input first, then checks all of it, and sends it only if both passed
    const commands: { command: Command; line: string; index: number }[] = [];
    for (const [index, line] of script.split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        commands.push({ command: parseCommand(line), line, index });
      } catch (e) {
        if (e instanceof Refusal) throw failure(e, line, index);
        throw e;
      }
    }
    const batch = new Batch(
      this.#state,
      commands.some(({ command }) => needsRules(command)),
    );
    let firstLookup: NftError | undefined;
    let firstKernel: NftError | undefined;
    for (const { command, line, index } of commands) {
      try {
        batch.apply(command);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        if (e.stage === 'user') throw failure(e, line, index);
        if (e.stage === 'lookup') firstLookup ??= failure(e, line, index);
        else firstKernel ??= failure(e, line, index);
      }
    }
    if (firstLookup !== undefined) throw firstLookup;
    if (firstKernel === undefined && !dryRun) {
      this.#state = batch.state;
      return;
    }
    keepCounters(this.#state, batch);
    if (firstKernel !== undefined) throw firstKernel;
  }

  #list(args: readonly string[], command: string, json: boolean, terse: boolean): string {
    let list: ListCommand;
    try {
      list = parseList(command.split(' '));
    } catch (e) {
      if (e instanceof Refusal) throw nftFailure(describeNftRun(args), located(e, command, 1, false), 1);
      throw e;
    }
    const tables = [...this.#state.tables.values()];
    if (list.what === 'tables' && !json) return tables.map((t) => `table ${t.family} ${t.name}\n`).join('');
    if (!json)
      throw new NftError('failed', `nft ${describeNftRun(args)} failed: the fake lists tables, chains, sets and maps only as JSON (-j)`);
    if (!('table' in list)) {
      const items =
        list.what === 'tables'
          ? tables.map((t) => ({ table: { family: t.family, name: t.name, handle: t.handle } }))
          : tables.flatMap((t) => tableJson(t, terse));
      return listingText(items);
    }
    const missing = (name: string) => nftFailure(describeNftRun(args), located(refused(strerror.ENOENT, name), command, 1, false), 1);
    const table = this.#state.tables.get(tableId(list.family, list.table));
    if (table === undefined) throw missing(list.table);
    if (list.what === 'table') return listingText(tableJson(table, terse));
    if (list.what === 'chain') {
      const chain = table.chains.get(list.name);
      if (chain === undefined) throw missing(list.name);
      return listingText([chainJson(table, chain), ...rulesJson(table, chain)]);
    }
    const set = table.sets.get(list.name);
    if (set === undefined || set.kind !== list.what) throw missing(list.name);
    return listingText([setJson(table, set, terse)]);
  }
}
