import { describe, expect, it } from 'vitest';
import { lines, processIo } from '../../../cli/zonectl/io.js';

describe('io', () => {
  it('ends every line', () => {
    expect(lines('a', 'b')).toBe('a\nb\n');
    expect(lines()).toBe('');
  });

  it('asks for colour only on a terminal without NO_COLOR', () => {
    expect(typeof processIo.tty).toBe('boolean');
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      expect(processIo.tty).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
