import { describe, expect, it } from 'vitest';
import { nftAvailable } from '../../../lib/nft/available.js';
import { NftError, nftFailure } from '../../../lib/nft/errors.js';
import { ProcessExecutor } from '../../../lib/nft/executor.js';
import { FakeNft } from '../../../lib/nft/fake.js';

describe('nftAvailable', () => {
  it('runs one `nft list tables` and reports success', async () => {
    const nft = new FakeNft();
    await expect(nftAvailable(nft)).resolves.toEqual({ available: true });
    expect(nft.calls).toEqual([{ args: ['list', 'tables'], stdin: '' }]);
  });

  it('reports why nft cannot be used', async () => {
    const denied = new FakeNft(() => nftFailure('list tables', 'Error: Operation not permitted (you must be root)\n', 1));
    const result = await nftAvailable(denied);
    expect(result.available).toBe(false);
    expect(!result.available && result.reason).toContain('Operation not permitted');
  });

  it('reports a missing binary', async () => {
    const result = await nftAvailable(new ProcessExecutor({ nft: '/nonexistent/nft' }));
    expect(result).toEqual({ available: false, reason: expect.stringContaining('cannot run /nonexistent/nft') });
    const thrown = await nftAvailable(new FakeNft(() => new NftError('unavailable', 'nft not found', 'looked in /usr/sbin')));
    expect(thrown).toEqual({ available: false, reason: 'nft not found: looked in /usr/sbin' });
  });
});
