import { describe, expect, it } from 'vitest';
import { Progress } from '../../../../cli/zonectl/demo/progress.js';
import { captureIo } from '../helpers.js';

describe('Progress', () => {
  it('numbers steps and reports each outcome', async () => {
    const io = captureIo();
    const progress = new Progress(io);
    expect(
      await progress.step(
        'first',
        async () => 42,
        (v) => `got ${v}`,
      ),
    ).toBe(42);
    await expect(progress.step('second', async () => Promise.reject(new Error('broke\nmore')))).rejects.toThrow('broke');
    progress.note('a\n\nb');
    const lines = io.stdout.split('\n');
    expect(lines[0]).toBe('[1] first');
    expect(lines[1]).toMatch(/^ {4}ok \(\d+ ms\): got 42$/);
    expect(lines[2]).toBe('[2] second');
    expect(lines[3]).toMatch(/^ {4}FAILED \(\d+ ms\): broke$/);
    expect(lines.slice(4)).toEqual(['    a', '', '    b', '']);
  });

  it('goes on after a failed cleanup step, keeping what failed', async () => {
    const io = captureIo();
    const progress = new Progress(io);
    const failures: string[] = [];
    await progress.attempt(failures, 'stop it', async () => Promise.reject(new Error('still running')));
    await progress.attempt(
      failures,
      'remove it',
      async () => 'gone',
      (v) => v,
    );
    expect(failures).toEqual(['stop it: still running']);
    expect(io.stdout).toMatch(/\[2\] remove it\n {4}ok \(\d+ ms\): gone\n$/);
  });
});
