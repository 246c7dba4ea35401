// docs/guides/troubleshooting.md against the one registry of codes, lib/cni/errors.ts: every code
// a runtime can get from us (each ErrorCode constant, and so every code codeByReason maps a low
// layer's failure to) has its section `### <code> <Name>` saying what it means, the usual cause
// and the fix; and no section names a code that is not defined. A new code without a fix fails here.
import { describe, expect, it } from 'vitest';
import { codeByReason, ErrorCode } from '../../lib/cni/errors.js';
import { readDoc } from './markdown.js';

const PAGE = 'docs/guides/troubleshooting.md';
const PARTS = ['**Means:**', '**Usual cause:**', '**Fix:**'] as const;

interface Section {
  heading: string;
  body: string;
}

/** The `### ` sections of the page's `## Error codes` part, with their text up to the next heading. */
function codeSections(markdown: string): Section[] {
  const part = markdown.split(/^## /m).find((chunk) => chunk.startsWith('Error codes\n')) ?? '';
  return part
    .split(/^### /m)
    .slice(1)
    .map((chunk) => {
      const [heading = '', ...rest] = chunk.split('\n');
      return { heading: heading.trim(), body: rest.join('\n') };
    });
}

const sections = codeSections(readDoc(PAGE));
const headings = sections.map((section) => section.heading);
const defined = Object.entries(ErrorCode).map(([name, code]) => `${code} ${name}`);
const reachable = new Set<number>([...Object.values(ErrorCode), ...Object.values(codeByReason).flatMap((codes) => Object.values(codes))]);

describe(PAGE, () => {
  it('has a section for every code a runtime can get from us', () => {
    expect(defined.filter((entry) => !headings.includes(entry))).toEqual([]);
    const sectionCodes = new Set(headings.map((heading) => Number(heading.split(' ')[0])));
    expect([...reachable].filter((code) => !sectionCodes.has(code))).toEqual([]);
  });

  it('has no section for a code that is not defined, and each code once', () => {
    expect(headings.filter((heading) => !defined.includes(heading))).toEqual([]);
    expect(headings.filter((heading, i) => headings.indexOf(heading) !== i)).toEqual([]);
  });

  it('says for each code what it means, the usual cause and the fix, in that order', () => {
    const incomplete = sections.filter((section) => {
      const at = PARTS.map((part) => section.body.indexOf(part));
      return at.some((index) => index < 0) || at.some((index, i) => i > 0 && index < (at[i - 1] ?? 0));
    });
    expect(incomplete.map((section) => section.heading)).toEqual([]);
  });

  it('lists the codes in ascending order', () => {
    const codes = headings.map((heading) => Number(heading.split(' ')[0]));
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
  });
});
