import { describe, expect, it } from 'vitest';
import { readUntil, startBackground } from '../../../cli/zonectl/process.js';

describe('startBackground', () => {
  it('stops the whole process group', async () => {
    const bg = startBackground('sh', ['-c', 'sleep 30 & sleep 30']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bg.stop(1_000);
    expect(await bg.exited).toBeUndefined();
  });
});

describe('readUntil', () => {
  it('resolves with the output before the marker line', async () => {
    const bg = startBackground('sh', ['-c', 'echo one; echo two; echo MARK; sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(await readUntil(bg, 'MARK', 5_000)).toBe('one\ntwo\n');
    await bg.stop(1_000);
  });

  it('rejects with what it said when it exits first', async () => {
    const bg = startBackground('sh', ['-c', 'echo no lease >&2; exit 3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await expect(readUntil(bg, 'MARK', 5_000)).rejects.toThrow('it exited with 3: no lease');
  });
});
