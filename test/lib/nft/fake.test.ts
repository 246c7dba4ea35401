import { describe, expect, it } from 'vitest';
import { nftFailure } from '../../../lib/nft/errors.js';
import { RecordingExecutor } from '../../../lib/nft/fake.js';

describe('RecordingExecutor', () => {
  it('records arguments and input, and answers empty by default', async () => {
    const fake = new RecordingExecutor();
    await expect(fake.run(['-f', '-'], 'add table inet t\n')).resolves.toBe('');
    await expect(fake.run(['list', 'tables'])).resolves.toBe('');
    expect(fake.calls).toEqual([
      { args: ['-f', '-'], stdin: 'add table inet t\n' },
      { args: ['list', 'tables'], stdin: '' },
    ]);
    expect(fake.inputs).toEqual(['add table inet t\n']);
  });

  it('answers as scripted, rejecting with returned errors', async () => {
    const fake = new RecordingExecutor((call) => (call.args.includes('-j') ? '{"nftables": []}' : nftFailure('transaction', 'Error: File exists', 1)));
    await expect(fake.run(['-j', 'list', 'tables'])).resolves.toBe('{"nftables": []}');
    await expect(fake.run(['-f', '-'], 'x')).rejects.toThrow('File exists');
    fake.answer(async () => 'later');
    await expect(fake.run(['-f', '-'], 'y')).resolves.toBe('later');
    expect(fake.inputs).toEqual(['x', 'y']);
  });

  it('keeps its own copy of the arguments', async () => {
    const fake = new RecordingExecutor();
    const args = ['list', 'tables'];
    await fake.run(args);
    args.push('changed');
    expect(fake.calls[0]?.args).toEqual(['list', 'tables']);
  });
});
