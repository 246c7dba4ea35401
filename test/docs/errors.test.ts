// docs/errors.md against the error code constants: every code defined in the four errors.ts
// files is a row of the page under its constant's name, every row is a defined code, and each
// module's codes stay inside the block the registry gives it.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/cni/errors.js';
import { IpamErrorCode } from '../../lib/ipam/errors.js';
import { PortsErrorCode } from '../../lib/ports/errors.js';
import { ZoneErrorCode } from '../../lib/zone/errors.js';
import { codeSpan, readDoc, tableRows } from './markdown.js';

/** Each module's codes and the block they must fall in (the spec's own codes are below 100). */
const MODULES = [
  { file: 'lib/cni/errors.ts', codes: ErrorCode as Record<string, number>, block: [1, 109] },
  { file: 'lib/ipam/errors.ts', codes: IpamErrorCode as Record<string, number>, block: [110, 119] },
  { file: 'lib/zone/errors.ts', codes: ZoneErrorCode as Record<string, number>, block: [120, 129] },
  { file: 'lib/ports/errors.ts', codes: PortsErrorCode as Record<string, number>, block: [130, 139] },
] as const;

const defined = MODULES.flatMap(({ codes }) => Object.entries(codes).map(([name, code]) => `${code} ${name}`));

const PAGE = 'docs/errors.md';
const rows = tableRows(readDoc(PAGE)).filter((row) => /^\d+$/.test(row.cells[0] ?? ''));
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
    expect(rows.filter((row) => row.cells.length !== 4 || row.cells.some((cell) => cell === '')).map((row) => `line ${row.line}`)).toEqual([]);
  });

  it.each(MODULES)('keeps the codes of $file in their block', ({ codes, block: [low, high] }) => {
    expect(Object.entries(codes).filter(([, code]) => code < low || code > high)).toEqual([]);
  });

  it('gives no two constants one code', () => {
    const codes = defined.map((entry) => entry.split(' ')[0]);
    expect(codes.filter((code, i) => codes.indexOf(code) !== i)).toEqual([]);
  });
});
