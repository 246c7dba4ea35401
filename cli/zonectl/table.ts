// Plain-text tables for terminals: columns padded to their widest cell, a header row, no borders.
export interface TableOptions {
  indent?: number;
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number): string {
  return text + ' '.repeat(Math.max(0, to - width(text)));
}

/** A cell may hold several lines; the row then grows to the tallest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const indent = ' '.repeat(options.indent ?? 0);
  const split = [headers, ...rows].map((row) => headers.map((_, i) => (row[i] ?? '').split('\n')));
  const widths = headers.map((_, i) => Math.max(...split.map((row) => Math.max(...(row[i] ?? ['']).map(width)))));
  const out: string[] = [];
  for (const row of split) {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let line = 0; line < height; line++) {
      const cells = row.map((cell, i) => pad(cell[line] ?? '', i === row.length - 1 ? 0 : (widths[i] ?? 0)));
      out.push(`${indent}${cells.join('  ')}`.trimEnd());
    }
  }
  return `${out.join('\n')}\n`;
}
