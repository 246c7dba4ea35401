// A codec for systemd unit-file syntax (systemd.syntax(7)) as networkd reads it:
// an ordered list of sections, each an ordered list of key=value entries, where sections
// (`[Address]`, `[Route]`) and keys (`Address=`) may repeat and order is meaning.
// Parsing follows systemd's conf-parser: lines are stripped, `#`/`;` lines are comments
// (also between continued lines), an unpaired trailing backslash joins the next line
// (the backslash becomes a space), whitespace around `=` is not part of key or value.
// Comments before the first section are kept as `comments`; later ones are dropped.
// Rendering is deterministic and refuses anything the parser would read back differently.

import { CniError, ErrorCode } from '../cni/errors.js';

export interface UnitEntry {
  readonly key: string;
  readonly value: string;
}

export interface UnitSection {
  readonly name: string;
  readonly entries: readonly UnitEntry[];
}

export interface UnitFile {
  /** Comment lines before the first section, without the `# ` marker. */
  readonly comments: readonly string[];
  readonly sections: readonly UnitSection[];
}

/** A value for `section()`: booleans become yes/no, numbers decimal, undefined leaves the entry out. */
export type EntryValue = string | number | boolean | undefined;

const sectionNamePattern = /^[A-Za-z][A-Za-z0-9_-]*$/;
const keyPattern = /^[A-Za-z][A-Za-z0-9_-]*$/;
// Every C0 control (newline, tab, CR, ...) and DEL: none can be written on one line safely.
const controlCharacter = /[\u0000-\u001f\u007f]/;
const commentMarkers = '#;';
const byteOrderMark = '\ufeff';

/** Build a section from [key, value] pairs, skipping undefined values. */
export function section(name: string, ...entries: readonly (readonly [string, EntryValue])[]): UnitSection {
  return {
    name,
    entries: entries.flatMap(([key, value]) => (value === undefined ? [] : [{ key, value: formatValue(value) }])),
  };
}

function formatValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** All values of `key` in every section called `sectionName`, in file order. */
export function valuesOf(unit: UnitFile, sectionName: string, key: string): string[] {
  return sectionsNamed(unit, sectionName).flatMap((s) => s.entries.filter((e) => e.key === key).map((e) => e.value));
}

export function sectionsNamed(unit: UnitFile, name: string): UnitSection[] {
  return unit.sections.filter((s) => s.name === name);
}

// ---- rendering ----

export function renderUnitFile(unit: UnitFile): string {
  const blocks: string[] = [];
  if (unit.comments.length > 0) blocks.push(unit.comments.map(renderComment).join(''));
  for (const s of unit.sections) blocks.push(renderSection(s));
  return blocks.join('\n');
}

function renderComment(text: string): string {
  checkComment(text);
  return text === '' ? '#\n' : `# ${text}\n`;
}

function renderSection(s: UnitSection): string {
  checkSectionName(s.name);
  const lines = s.entries.map((entry) => {
    checkKey(entry.key, s.name);
    checkValue(entry.value, `${s.name}.${entry.key}`);
    return `${entry.key}=${entry.value}\n`;
  });
  return `[${s.name}]\n${lines.join('')}`;
}

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

function checkSectionName(name: string): void {
  if (!sectionNamePattern.test(name)) throw invalid(`invalid unit file section name ${JSON.stringify(name)}`);
}

function checkKey(key: string, sectionName: string): void {
  if (!keyPattern.test(key)) throw invalid(`invalid key ${JSON.stringify(key)} in section [${sectionName}]`);
}

/** Throws unless `value` reads back unchanged from a `Key=value` line. */
function checkValue(value: string, where: string): void {
  const problem = valueProblem(value);
  if (problem) throw invalid(`invalid value for ${where}: ${problem}`);
}

function valueProblem(value: string): string | undefined {
  if (controlCharacter.test(value)) return 'contains a newline or control character';
  if (value !== value.trim()) return 'has leading or trailing whitespace';
  if (endsWithUnpairedBackslash(value)) return 'ends with a backslash (would continue onto the next line)';
  return undefined;
}

function checkComment(text: string): void {
  if (controlCharacter.test(text)) throw invalid('comment contains a newline or control character');
  if (text !== text.trimEnd()) throw invalid('comment has trailing whitespace');
}

/** systemd pairs backslashes left to right; an odd run at the end means "continued". */
function endsWithUnpairedBackslash(text: string): boolean {
  let run = 0;
  while (run < text.length && text[text.length - 1 - run] === '\\') run++;
  return run % 2 === 1;
}

// ---- parsing ----

function decodeError(line: number, msg: string): CniError {
  return new CniError(ErrorCode.DecodingFailure, `unit file line ${line}: ${msg}`);
}

interface LogicalLine {
  number: number;
  text: string;
}

/** Physical lines → logical lines: comments dropped, continuations joined. */
function* logicalLines(text: string): Generator<LogicalLine & { comment: boolean }> {
  const physical = (text.startsWith(byteOrderMark) ? text.slice(1) : text).split(/\r?\n/);
  if (physical.at(-1) === '') physical.pop();
  let pending: LogicalLine | undefined;
  for (const [index, line] of physical.entries()) {
    const stripped = line.trim();
    if (stripped !== '' && commentMarkers.includes(stripped[0] ?? '')) {
      // A comment inside a continuation is skipped without ending it.
      if (!pending) yield { number: index + 1, text: stripped, comment: true };
      continue;
    }
    const joined = pending ? pending.text + line : line;
    const start = pending?.number ?? index + 1;
    if (endsWithUnpairedBackslash(joined)) {
      pending = { number: start, text: `${joined.slice(0, -1)} ` };
      continue;
    }
    pending = undefined;
    yield { number: start, text: joined, comment: false };
  }
  if (pending) yield { ...pending, comment: false };
}

function commentText(line: string): string {
  const body = line.slice(1);
  return body.startsWith(' ') ? body.slice(1) : body;
}

export function parseUnitFile(text: string): UnitFile {
  const comments: string[] = [];
  const sections: { name: string; entries: UnitEntry[] }[] = [];
  for (const line of logicalLines(text)) {
    if (line.comment) {
      if (sections.length === 0) comments.push(commentText(line.text).trimEnd());
      continue;
    }
    const stripped = line.text.trim();
    if (stripped === '') continue;
    if (stripped.startsWith('[')) {
      sections.push({ name: parseSectionHeader(stripped, line.number), entries: [] });
      continue;
    }
    const current = sections.at(-1);
    if (!current) throw decodeError(line.number, 'assignment outside of a section');
    current.entries.push(parseAssignment(stripped, line.number));
  }
  return { comments, sections };
}

function parseSectionHeader(line: string, number: number): string {
  if (!line.endsWith(']')) throw decodeError(number, `invalid section header ${JSON.stringify(line)}`);
  const name = line.slice(1, -1);
  if (!sectionNamePattern.test(name)) throw decodeError(number, `invalid section name ${JSON.stringify(name)}`);
  return name;
}

function parseAssignment(line: string, number: number): UnitEntry {
  const equals = line.indexOf('=');
  if (equals < 0) throw decodeError(number, `missing '=' in ${JSON.stringify(line)}`);
  const key = line.slice(0, equals).trim();
  const value = line.slice(equals + 1).trim();
  if (!keyPattern.test(key)) throw decodeError(number, `invalid key ${JSON.stringify(key)}`);
  const problem = valueProblem(value);
  if (problem) throw decodeError(number, `value of ${key} ${problem}`);
  return { key, value };
}
