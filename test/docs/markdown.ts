// Reading the tables of a page under docs/, for the tests that keep the pages in step with the
// code: every table row, with the `## ` section it sits in and its cells.
import { readFileSync } from 'node:fs';

export interface TableRow {
  /** The heading of the `## ` section the row is in, without backticks ('' before the first). */
  section: string;
  cells: string[];
  /** 1-based, for messages. */
  line: number;
}

/** The page's text; `path` is relative to the repository root. */
export function readDoc(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
}

const SEPARATOR = /^\|[\s:|-]+\|$/;

/** Every row of every table, header rows included, separator rows left out. */
export function tableRows(markdown: string): TableRow[] {
  const rows: TableRow[] = [];
  let section = '';
  for (const [index, raw] of markdown.split('\n').entries()) {
    const line = raw.trim();
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1]!.replaceAll('`', '').trim();
    if (!line.startsWith('|') || SEPARATOR.test(line)) continue;
    rows.push({
      section,
      cells: line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
      line: index + 1,
    });
  }
  return rows;
}

/** The text of a cell that is one code span (`` `name` `` → `name`), else undefined. */
export function codeSpan(cell: string | undefined): string | undefined {
  return /^`([^`]+)`$/.exec(cell ?? '')?.[1];
}
