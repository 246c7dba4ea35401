import { describe, expect, it } from 'vitest';
import { formatColumns, formatTable, summaryLine } from '../../../conformance/report/table.js';
import { sampleReport } from './sample.js';

describe('formatColumns', () => {
  it('pads every column but the last', () => {
    expect(
      formatColumns([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'c c'],
      ]),
    ).toBe('A    BB  C\naaa  b   c c');
  });
});

describe('formatTable', () => {
  it('prints a header, one row per case with shortened reasons, warnings and the summary', () => {
    const text = formatTable(sampleReport(), { reasonWidth: 20 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Sample set (/opt/cni/bin)');
    expect(lines[1]).toBe('warning: plugin "x" is missing');
    expect(lines[2]).toMatch(/^CASE\s+CLAUSE\s+LEVEL\s+RESULT\s+REASON$/);
    expect(text).toContain('version.echo');
    expect(text).toMatch(/del\.idempotent\s+SPEC §2 "DEL"\s+MUST\s+FAIL\s+second DEL failed: …/);
    expect(lines.at(-1)).toBe(summaryLine(sampleReport()));
  });

  it('summarizes counts, pass rates and blocking failures', () => {
    expect(summaryLine(sampleReport())).toBe(
      'sample: 4 cases: 1 pass, 1 FAIL, 1 n/a, 1 xfail; MUST 50 %, SHOULD 0 % passed; 1 blocking (1.5 s)',
    );
  });
});
