// docs/errors.md against the one registry, lib/cni/errors.ts: every ErrorCode constant is a row
// of the page under its name, every row is a defined code, each of our codes stays inside its
// owner's block, and the page's table of low-layer reasons is codeByReason.
import { describe, expect, it } from 'vitest';
import { codeByReason, ErrorCode, ErrorCodeBlocks } from '../../lib/cni/errors.js';
import { codeSpan, readDoc, tableRows } from './markdown.js';

const defined = Object.entries(ErrorCode).map(([name, code]) => `${code} ${name}`);

const PAGE = 'docs/errors.md';
const allRows = tableRows(readDoc(PAGE));
const rows = allRows.filter((row) => /^\d+$/.test(row.cells[0] ?? ''));
const documented = rows.map((row) => `${row.cells[0]} ${codeSpan(row.cells[1]) ?? row.cells[1]}`);

describe(PAGE, () => {
  it('documents every code constant under its name', () => {
    expect(defined.filter((entry) => !documented.includes(entry))).toEqual([]);
  });

  it('documents no code that is not defined, and each code once', () => {
    expect(documented.filter((entry) => !defined.includes(entry))).toEqual([]);
    const codes = rows.map((row) => row.cells[0]);
    expect(codes.filter((code, i) => codes.indexOf(code) !== i)).toEqual([]);
  });

  it('says when each code is raised and what to do about it', () => {
    expect(rows.filter((row) => row.cells.length !== 4 || row.cells.some((cell) => cell === '')).map((row) => `line ${row.line}`)).toEqual(
      [],
    );
  });

  it('keeps each of our codes (100 and up) inside a block of the registry', () => {
    const blocks = Object.values(ErrorCodeBlocks);
    const outside = Object.entries(ErrorCode).filter(
      ([, code]) => code >= 100 && !blocks.some(([low, high]) => code >= low && code <= high),
    );
    expect(outside).toEqual([]);
  });

  it('gives no two constants one code', () => {
    const codes = Object.values(ErrorCode);
    expect(codes.filter((code, i) => codes.indexOf(code) !== i)).toEqual([]);
  });

  it('lists the code of every reason of every low layer, as codeByReason has it', () => {
    const inCode = Object.entries(codeByReason).flatMap(([layer, codes]) =>
      Object.entries(codes).map(([reason, code]) => `${layer} ${reason} ${code}`),
    );
    const onPage = allRows
      .filter((row) => row.section === 'Failures of the low layers' && codeSpan(row.cells[0]) !== undefined)
      .map((row) => `${codeSpan(row.cells[0])} ${codeSpan(row.cells[1])} ${row.cells[2]}`);
    expect(onPage.sort()).toEqual(inCode.sort());
  });
});
