import { describe, expect, it } from 'vitest';
import { ProgramError, readUntil, runChecked, runProgram, startBackground } from '../../../cli/zonectl/process.js';

describe('runProgram', () => {
  it('collects output and the exit code, with stdin', async () => {
    expect(await runProgram('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'in' })).toEqual({ code: 3, stdout: 'in', stderr: 'err\n' });
  });

  it('kills what outlives its timeout', async () => {
    const result = await runProgram('sh', ['-c', 'sleep 10 & wait'], { timeoutMs: 100 });
    expect(result.code).toBeUndefined();
  });

  it('rejects a program that cannot start', async () => {
    await expect(runProgram('/nonexistent/x', [])).rejects.toThrow(/cannot run/);
  });
});

describe('runChecked', () => {
  it('resolves with stdout, or throws naming the command and its error output', async () => {
    expect(await runChecked('echo', ['ok'])).toBe('ok\n');
    await expect(runChecked('sh', ['-c', 'echo bad >&2; exit 2'])).rejects.toThrow(ProgramError);
    await expect(runChecked('sh', ['-c', 'echo bad >&2; exit 2'])).rejects.toThrow('sh -c echo bad >&2; exit 2 exited with code 2: bad');
  });
});

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
