// systemd command lines (systemd.service(5) "Command lines"): render argv words so systemd
// reads them back unchanged, and parse a line back into argv the way systemd runs it
// (quotes, C escapes, `%` specifiers, `$$`). Words we write that must keep a specifier
// (`%i`, the machine) are `raw`: already in unit syntax.
import { CniError, ErrorCode } from '../cni/errors.js';

/** A word in unit syntax, written as it is (e.g. `--machine=%i`). */
export interface RawWord {
  readonly raw: string;
}

export type ExecWord = string | RawWord;

/** The instance name of a template unit: the machine of systemd-nspawn@<machine>.service. */
export const INSTANCE: RawWord = { raw: '%i' };

/** `prefix` and `suffix` written literally around the instance specifier: `/run/netns/%i`. */
export function withInstance(prefix: string, suffix = ''): RawWord {
  return { raw: `${escapeExpansions(prefix)}%i${escapeExpansions(suffix)}` };
}

// Safe unquoted: no whitespace, quotes, backslashes, `;` or control characters.
const BARE_WORD = /^[A-Za-z0-9_@%+=:,./$-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function escapeExpansions(text: string): string {
  return text.replaceAll('%', '%%').replaceAll('$', '$$$$');
}

function invalidWord(word: string, why: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `cannot write ${JSON.stringify(word)} into a unit command line: ${why}`);
}

/** One argv word in unit syntax. */
export function quoteExecWord(word: ExecWord): string {
  if (typeof word !== 'string') return word.raw;
  if (word === '') return '""';
  if (CONTROL.test(word)) throw invalidWord(word, 'it contains a control character');
  const escaped = escapeExpansions(word);
  if (BARE_WORD.test(word) && word !== ';') return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A whole command line; the first word is the executable. */
export function renderExecLine(words: readonly ExecWord[]): string {
  if (words.length === 0) throw new CniError(ErrorCode.Internal, 'an empty command line');
  const first = words[0];
  // A leading -, @, :, +, ! is a flag to systemd, not part of the path.
  if (typeof first === 'string' && /^[-@:+!]/.test(first)) throw invalidWord(first, 'an executable may not start with - @ : + !');
  return words.map(quoteExecWord).join(' ');
}

// ---- parsing: what systemd executes for a line ----

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

export interface ParsedExecLine {
  /** Leading flag characters (`-`, `@`, `+`, ...). */
  flags: string;
  argv: string[];
}

function expandSpecifier(letter: string, specifiers: Readonly<Record<string, string>>, line: string): string {
  if (letter === '%') return '%';
  const value = specifiers[letter];
  if (value === undefined)
    throw new CniError(ErrorCode.InvalidNetworkConfig, `unsupported specifier %${letter} in ${JSON.stringify(line)}`);
  return value;
}

/**
 * Split a command line into argv as systemd does: words separated by whitespace, double or single
 * quotes, C escapes, `%x` from `specifiers` (e.g. `{ i: 'web' }`), `%%` and `$$`. Environment
 * variables (`$VAR`) are refused: our lines never use them.
 */
export function parseExecLine(line: string, specifiers: Readonly<Record<string, string>> = {}): ParsedExecLine {
  const text = line.trim();
  const flags = /^[-@:+!]*/.exec(text)?.[0] ?? '';
  const argv: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = flags.length; i < text.length; i++) {
    const c = text[i] as string;
    if (!quote && /\s/.test(c)) {
      if (word !== undefined) argv.push(word);
      word = undefined;
      continue;
    }
    word ??= '';
    if (quote && c === quote) quote = undefined;
    else if (!quote && (c === '"' || c === "'")) quote = c;
    else if (c === '\\') {
      const next = text[++i];
      const escaped = next === undefined ? undefined : SIMPLE_ESCAPES[next];
      if (escaped === undefined)
        throw new CniError(ErrorCode.InvalidNetworkConfig, `unsupported escape \\${next ?? ''} in ${JSON.stringify(line)}`);
      word += escaped;
    } else if (c === '%') word += expandSpecifier(text[++i] ?? '', specifiers, line);
    else if (c === '$') {
      if (text[i + 1] !== '$')
        throw new CniError(ErrorCode.InvalidNetworkConfig, `environment variables are not supported in ${JSON.stringify(line)}`);
      word += '$';
      i++;
    } else word += c;
  }
  if (quote) throw new CniError(ErrorCode.InvalidNetworkConfig, `unterminated quote in ${JSON.stringify(line)}`);
  if (word !== undefined) argv.push(word);
  return { flags, argv };
}
