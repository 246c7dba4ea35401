// Every value that goes into nft's text input passes one of these checks first, so no
// config value (zone, bridge, subnet, comment, port) can add a token, a statement or a
// command of its own: allowed characters exclude whitespace (except in rule text and
// comments), newlines, `;`, `#`, `$`, `{`, `}`, `,` and unbalanced quotes.
import { CniError, ErrorCode } from '../cni/errors.js';

function invalid(what: string, value: string, rule: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `invalid nft ${what} ${JSON.stringify(value)}`, rule);
}

const namePattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** A table, chain, set or map name: a letter, then letters, digits or `_` (at most 64). */
export function checkName(what: string, name: string): string {
  if (!namePattern.test(name)) throw invalid(`${what} name`, name, 'a letter, then up to 63 letters, digits or _');
  return name;
}

// nft keeps at most 128 bytes of a comment; inside quotes nothing is special but `"`.
const commentPattern = /^[A-Za-z0-9 _.:/@+=,()-]{1,128}$/;

export function checkComment(comment: string): string {
  if (!commentPattern.test(comment)) {
    throw invalid('comment', comment, '1 to 128 of: letters, digits, space and _ . : / @ + = , ( ) -');
  }
  return comment;
}

/** `comment "text"`, for appending to a rule, element or object body. */
export function renderComment(comment: string): string {
  return `comment "${checkComment(comment)}"`;
}

// One literal of an element key or value: an address, prefix, range, port, protocol, mark...
// `.` and `-` inside a literal are part of it (10.0.0.0/8, 80-90); nft needs spaces around
// the concatenation dot, and a literal has none.
const literalPattern = /^[A-Za-z0-9_:][A-Za-z0-9_.:/-]{0,127}$/;
// A string literal, e.g. an interface name in an `ifname` key.
const quotedPattern = /^"[A-Za-z0-9_.:@+-]{1,64}"$/;
const ifnamePattern = /^[A-Za-z0-9_.+-]{1,15}$/;

export function checkLiteral(literal: string): string {
  if (!literalPattern.test(literal) && !quotedPattern.test(literal)) {
    throw invalid('element literal', literal, 'an address, prefix, range, number or name without spaces, or a quoted name');
  }
  return literal;
}

/** An interface name as an nft string literal (`"vz-web"`), for `ifname` keys and rules. */
export function quoteIfname(name: string): string {
  if (!ifnamePattern.test(name)) throw invalid('interface name', name, '1 to 15 of: letters, digits and _ . + -');
  return `"${name}"`;
}

const verdictPattern = /^(?:accept|drop|continue|return|(?:jump|goto) ([A-Za-z][A-Za-z0-9_]{0,63}))$/;

/** A literal of a map value: a plain literal, or a verdict (`accept`, `jump CHAIN`...). */
export function checkValueLiteral(literal: string): string {
  if (verdictPattern.test(literal)) return literal;
  return checkLiteral(literal);
}

const typePattern = /^[a-z][a-z0-9_]{0,31}(?: \. [a-z][a-z0-9_]{0,31}){0,7}$/;

/** A set or map data type, possibly a concatenation: `ipv4_addr . inet_service`. */
export function checkType(type: string): string {
  if (!typePattern.test(type)) throw invalid('data type', type, 'type names joined by " . "');
  return type;
}

// Rule text is written by our code with validated values spliced in; this is the last
// line of defence: one statement list, no comment (ours is added separately), no
// positioning keywords in front (handle/index are ours too), quotes only around names.
const ruleCharacters = /^[A-Za-z0-9 _.:/@!=<>{},*&|"-]{1,1024}$/;
const ruleQuoted = /"[^"]*"/g;
const quotedContent = /^"[A-Za-z0-9_.:@*+-]*"$/;

export function checkRuleText(rule: string): string {
  const reject = (why: string) => invalid('rule', rule, why);
  if (!ruleCharacters.test(rule)) throw reject('allowed: letters, digits, space and _ . : / @ ! = < > { } , * & | " -');
  if ((rule.match(/"/g)?.length ?? 0) % 2 !== 0) throw reject('unbalanced quotes');
  if (!(rule.match(ruleQuoted) ?? []).every((quoted) => quotedContent.test(quoted))) throw reject('quoted text must be a name');
  if (/(^|[^A-Za-z0-9_])comment($|[^A-Za-z0-9_])/.test(rule.replace(ruleQuoted, '""'))) throw reject('comments are set apart');
  if (/^\s*(handle|index|position)\b/.test(rule)) throw reject('positions are set apart');
  if (rule.trim() !== rule || rule.includes('  ')) throw reject('single spaces between tokens');
  return rule;
}
