// The markdown our reference pages are written in, turned into man(7): headings, paragraphs,
// bullet lists, pipe tables, and inline code, links and emphasis. Anything else throws with
// the line it is on: a page that grew a construct this does not know must fail the build and
// the tests, not ship as a manual with stray markup in it.
import { bold, italic, literal, type RoffPage, text } from './roff.js';

export class UnsupportedMarkdownError extends Error {
  constructor(what: string, line: number) {
    super(`line ${line}: ${what} cannot be rendered as a man page (cli/zonectl/manual/markdown-roff.ts)`);
    this.name = 'UnsupportedMarkdownError';
  }
}

// Block starts this converter refuses, with what they are.
const UNSUPPORTED_BLOCKS: readonly [RegExp, string][] = [
  [/^(```|~~~)/, 'a fenced code block'],
  [/^ {0,3}>/, 'a block quote'],
  [/^ {0,3}\d+[.)]\s/, 'a numbered list'],
  [/^ {0,3}</, 'HTML'],
  [/^( {4}|\t)/, 'an indented code block'],
  [/^ {0,3}([-*_])( *\1){2,} *$/, 'a thematic break'],
  [/^ {0,3}(=+|-+) *$/, 'a setext heading'],
  [/^#{4,} /, 'a heading below ###'],
  [/^ +[-*+] /, 'a nested list'],
];

const HEADING = /^(#{1,3}) (.+)$/;
const BULLET = /^[-*+] (.*)$/;
const TABLE_SEPARATOR = /^\|( *:?-+:? *\|)+$/;

function refuseUnsupported(line: string, number: number): void {
  for (const [pattern, what] of UNSUPPORTED_BLOCKS) if (pattern.test(line)) throw new UnsupportedMarkdownError(what, number);
}

function startsBlock(line: string): boolean {
  return HEADING.test(line) || BULLET.test(line) || line.startsWith('|');
}

/** Inline markdown (code spans, links, emphasis) as escaped roff. */
export function inline(markdown: string, line: number): string {
  let out = '';
  let plain = '';
  const flush = (): void => {
    out += text(plain);
    plain = '';
  };
  let i = 0;
  while (i < markdown.length) {
    const rest = markdown.slice(i);
    const char = markdown[i]!;
    if (char === '`') {
      const span = /^`([^`]+)`(?!`)/.exec(rest);
      if (!span) throw new UnsupportedMarkdownError('a code span with more than one backtick, or an unclosed one', line);
      flush();
      out += bold(literal(span[1]!));
      i += span[0].length;
    } else if (rest.startsWith('![')) {
      throw new UnsupportedMarkdownError('an image', line);
    } else if (char === '[' && /^\[[^\]]*\]\(/.test(rest)) {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest);
      if (!link) throw new UnsupportedMarkdownError('a link with a title, spaces or an empty text', line);
      flush();
      // The target is for a browser; the text says what it is.
      out += inline(link[1]!, line);
      i += link[0].length;
    } else if (char === '*') {
      const strong = /^\*\*([^*`]+)\*\*/.exec(rest);
      const emphasis = /^\*([^*`\s][^*`]*)\*/.exec(rest);
      const match = strong ?? emphasis;
      if (!match) throw new UnsupportedMarkdownError('a "*" that opens no emphasis (or emphasis around code)', line);
      flush();
      out += (strong ? bold : italic)(text(match[1]!));
      i += match[0].length;
    } else if (char === '_' && !/\w/.test(markdown[i - 1] ?? '') && /\S/.test(markdown[i + 1] ?? ' ')) {
      throw new UnsupportedMarkdownError('emphasis with "_"', line);
    } else if (char === '<' && /^<[A-Za-z/!]/.test(rest)) {
      throw new UnsupportedMarkdownError('inline HTML or an autolink', line);
    } else if (char === '&' && /^&(#\d+|#x[\dA-Fa-f]+|\w+);/.test(rest)) {
      throw new UnsupportedMarkdownError('an HTML entity', line);
    } else if (char === '\\' && /^\\[!-/:-@[-`{-~]/.test(rest)) {
      throw new UnsupportedMarkdownError('a backslash escape', line);
    } else {
      plain += char;
      i++;
    }
  }
  flush();
  return out;
}

function tableCells(row: string, line: number): string[] {
  if (!row.endsWith('|')) throw new UnsupportedMarkdownError('a table row that does not end with "|"', line);
  if (row.includes('\\|')) throw new UnsupportedMarkdownError('an escaped "|" in a table cell', line);
  return row
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

interface Cursor {
  lines: string[];
  at: number;
}

function current(cursor: Cursor): string {
  return cursor.lines[cursor.at]!;
}

function more(cursor: Cursor): boolean {
  return cursor.at < cursor.lines.length;
}

/*
 * A table is written as a list of tagged paragraphs, not with tbl: our tables have a long last
 * column (a paragraph of prose per row), and tbl at 80 columns would squeeze it into a narrow
 * column beside the others, a few words per line. As .TP the first column is the tag (always on
 * a line of its own, so short and long field names look alike), the middle columns one line
 * "type: string; default: 55", and the last the paragraph below.
 */
function table(page: RoffPage, cursor: Cursor): void {
  const headerLine = cursor.at + 1;
  const header = tableCells(current(cursor), headerLine);
  cursor.at++;
  if (!more(cursor) || !TABLE_SEPARATOR.test(current(cursor).trim()))
    throw new UnsupportedMarkdownError('a table without its separator row', cursor.at + 1);
  cursor.at++;
  if (header.length < 2) throw new UnsupportedMarkdownError('a table of one column', headerLine);
  while (more(cursor) && current(cursor).startsWith('|')) {
    const line = cursor.at + 1;
    const cells = tableCells(current(cursor), line);
    if (cells.length !== header.length)
      throw new UnsupportedMarkdownError(`a row of ${cells.length} cells under a header of ${header.length}`, line);
    const middle = cells
      .slice(1, -1)
      .map((cell, index) => `${inline(header[index + 1]!, headerLine)}: ${inline(cell, line)}`)
      .join('; ');
    const last = inline(cells.at(-1)!, line);
    page.entry(inline(cells[0]!, line), ...(middle ? [middle, last] : [last]));
    cursor.at++;
  }
}

function bulletList(page: RoffPage, cursor: Cursor): void {
  while (more(cursor)) {
    const item = BULLET.exec(current(cursor));
    if (!item) break;
    const line = cursor.at + 1;
    const parts = [item[1]!];
    cursor.at++;
    // Continuation lines are indented; a nested list is refused.
    while (more(cursor) && /^ {2,}\S/.test(current(cursor))) {
      if (/^ +[-*+] /.test(current(cursor))) throw new UnsupportedMarkdownError('a nested list', cursor.at + 1);
      parts.push(current(cursor).trim());
      cursor.at++;
    }
    page.bullet(inline(parts.join(' '), line));
  }
}

function paragraph(page: RoffPage, cursor: Cursor): void {
  const line = cursor.at + 1;
  const parts: string[] = [];
  while (more(cursor) && current(cursor).trim() !== '') {
    if (parts.length) {
      refuseUnsupported(current(cursor), cursor.at + 1);
      if (startsBlock(current(cursor)))
        throw new UnsupportedMarkdownError('a block that interrupts a paragraph (put a blank line before it)', cursor.at + 1);
    }
    parts.push(current(cursor).trim());
    cursor.at++;
  }
  page.paragraph(inline(parts.join(' '), line));
}

function heading(page: RoffPage, cursor: Cursor, title: string, level: number): void {
  const plain = title.replaceAll('`', '');
  inline(title, cursor.at + 1); // refuses what a heading may not hold
  if (level === 2) page.section(text(plain.toUpperCase()));
  else page.subsection(text(plain));
  cursor.at++;
}

/**
 * Appends the page's blocks to `page`. The page's own `# ` title is left out (a man page has its
 * NAME instead); its `## ` sections become sections, `### ` subsections.
 */
export function appendMarkdown(page: RoffPage, markdown: string): void {
  const cursor: Cursor = { lines: markdown.replace(/\n+$/, '').split('\n'), at: 0 };
  let titled = false;
  while (more(cursor)) {
    const line = current(cursor);
    if (line.trim() === '') {
      cursor.at++;
      continue;
    }
    refuseUnsupported(line, cursor.at + 1);
    const head = HEADING.exec(line);
    if (head) {
      const level = head[1]!.length;
      if (level === 1) {
        if (titled) throw new UnsupportedMarkdownError('a second "# " title', cursor.at + 1);
        titled = true;
        cursor.at++;
      } else heading(page, cursor, head[2]!, level);
    } else if (BULLET.test(line)) bulletList(page, cursor);
    else if (line.startsWith('|')) table(page, cursor);
    else paragraph(page, cursor);
  }
}
