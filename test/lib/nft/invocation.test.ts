import { describe, expect, it } from 'vitest';
import { isNftError } from '../../../lib/nft/errors.js';
import { describeNftRun, NFT_CTX_OUTPUT_JSON, NFT_CTX_OUTPUT_TERSE, nftInvocation } from '../../../lib/nft/invocation.js';

describe('nftInvocation', () => {
  it('maps the argument lists lib/nft uses onto libnftables', () => {
    const input = 'add table inet cni_zones\n';
    expect(nftInvocation(['-f', '-'], input)).toEqual({ fromFile: true, command: input, outputFlags: 0, dryRun: false });
    expect(nftInvocation(['-c', '-f', '-'], input)).toEqual({ fromFile: true, command: input, outputFlags: 0, dryRun: true });
    expect(nftInvocation(['-j', 'list', 'table', 'inet', 'cni_zones'])).toEqual({
      fromFile: false,
      command: 'list table inet cni_zones',
      outputFlags: NFT_CTX_OUTPUT_JSON,
      dryRun: false,
    });
    expect(nftInvocation(['-t', '-j', 'list', 'map', 'inet', 'cni_zones', 'hostports']).outputFlags).toBe(
      NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE,
    );
    expect(nftInvocation(['list', 'tables'], 'ignored without -f')).toEqual({
      fromFile: false,
      command: 'list tables',
      outputFlags: 0,
      dryRun: false,
    });
  });

  it('uses the values of libnftables.h', () => {
    expect([NFT_CTX_OUTPUT_JSON, NFT_CTX_OUTPUT_TERSE]).toEqual([0x10, 0x800]);
  });

  it('takes the long spellings nft takes', () => {
    expect(nftInvocation(['--check', '--file', '-'], 'x')).toEqual({ fromFile: true, command: 'x', outputFlags: 0, dryRun: true });
    expect(nftInvocation(['--terse', '--json', 'list', 'tables']).outputFlags).toBe(NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE);
  });

  it.each([
    [['-a', 'list', 'tables'], '-a'],
    [['-f', '/etc/nftables.conf'], '-f /etc/nftables.conf'],
    [['-f'], '-f'],
    [['-f', '-', 'list', 'tables'], '-f - together with a command (list tables)'],
    [[], 'no command'],
    [['-j'], 'no command'],
  ])('refuses %j instead of guessing', (args, what) => {
    let thrown: unknown;
    try {
      nftInvocation(args);
    } catch (e) {
      thrown = e;
    }
    expect(isNftError(thrown, 'failed')).toBe(true);
    expect((thrown as Error).message).toBe(`nft arguments not supported in-process: ${what}`);
  });
});

describe('describeNftRun', () => {
  it('names a transaction as such and anything else by its arguments', () => {
    expect(describeNftRun(['-f', '-'])).toBe('transaction');
    expect(describeNftRun(['-c', '-f', '-'])).toBe('transaction');
    expect(describeNftRun(['-j', 'list', 'tables'])).toBe('-j list tables');
  });
});
