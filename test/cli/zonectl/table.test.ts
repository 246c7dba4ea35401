import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../cli/zonectl/table.js';

describe('renderTable', () => {
  it('pads columns to the widest cell and trims line ends', () => {
    expect(
      renderTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', ''],
          ['1', '22', 'z'],
        ],
      ),
    ).toBe('A    BB  C\nxxx  y\n1    22  z\n');
  });

  it('grows a row to its tallest cell, and indents', () => {
    expect(renderTable(['NAME', 'ADDR'], [['web', '10.0.0.2\nfd::2']], { indent: 2 })).toBe(
      '  NAME  ADDR\n  web   10.0.0.2\n        fd::2\n',
    );
  });

  it('counts characters, not bytes', () => {
    expect(
      renderTable(
        ['P', 'X'],
        [
          ['8080→80', 'a'],
          ['1', 'b'],
        ],
      ),
    ).toBe('P        X\n8080→80  a\n1        b\n');
  });
});
