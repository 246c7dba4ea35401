import { describe, expect, it } from 'vitest';
import { asCniError, ErrorCode } from '../../../lib/cni/errors.js';
import { classifyNftError, firstErrorMessage, isExists, isNftError, isNotFound, NftError, nftFailure } from '../../../lib/nft/errors.js';

// stderr texts as nft 1.0.6 prints them (captured on this machine)
const stderrOf = {
  missingTable: `/dev/stdin:1:19-24: Error: Could not process rule: No such file or directory
delete table inet nosuch
                  ^^^^^^
`,
  missingListed: `Error: No such file or directory
list table inet cni_zones
                ^^^^^^^^^
`,
  missingIntervalElement: `/dev/stdin:1:41-52: Error: element does not exist
delete element inet cni_zones masq_v4 { 10.91.0.0/24 }
                                        ^^^^^^^^^^^^
`,
  created: `/dev/stdin:1:19-27: Error: Could not process rule: File exists
create table inet cni_zones
                  ^^^^^^^^^
`,
  overlap: `/dev/stdin:1:38-49: Error: interval overlaps with an existing one
add element inet cni_zones masq_v4 { 10.89.0.0/16 }
                                     ^^^^^^^^^^^^
`,
  syntax: `/dev/stdin:1:8-8: Error: syntax error, unexpected newline, expecting string
add foo
       ^
`,
  unsupported: `/dev/stdin:1:1-91: Error: Could not process rule: Operation not supported
add chain inet cni_zones masq { type nat hook postrouting priority 101 ; policy accept ; }
^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
`,
};

describe('classifyNftError', () => {
  it.each([
    ['missingTable', 'not-found'],
    ['missingListed', 'not-found'],
    ['missingIntervalElement', 'not-found'],
    ['created', 'exists'],
    ['overlap', 'exists'],
    ['syntax', 'syntax'],
    ['unsupported', 'failed'],
  ] as const)('%s → %s', (name, kind) => {
    expect(classifyNftError(stderrOf[name])).toBe(kind);
  });

  it('decides by the first error when there are several', () => {
    expect(classifyNftError(stderrOf.created + stderrOf.missingTable)).toBe('exists');
  });

  it('falls back to the whole text without an "Error:" line', () => {
    expect(classifyNftError('netlink: No such file or directory')).toBe('not-found');
    expect(classifyNftError('')).toBe('failed');
  });
});

describe('firstErrorMessage', () => {
  it('drops the input location', () => {
    expect(firstErrorMessage(stderrOf.missingTable)).toBe('Could not process rule: No such file or directory');
    expect(firstErrorMessage(stderrOf.missingListed)).toBe('No such file or directory');
    expect(firstErrorMessage('nothing')).toBeUndefined();
  });
});

describe('nftFailure', () => {
  it("is the nft layer's failure, code 100 to the runtime, with the stderr as details", () => {
    const e = nftFailure('transaction', stderrOf.created, 1);
    expect(e).toBeInstanceOf(NftError);
    expect(e).toMatchObject({ layer: 'nft', reason: 'exists' });
    expect(asCniError(e).code).toBe(ErrorCode.Internal);
    expect(e.message).toBe('nft transaction failed: Could not process rule: File exists');
    expect(e.details).toContain('create table inet cni_zones');
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toBe(stderrOf.created);
    expect(isExists(e)).toBe(true);
    expect(isNotFound(e)).toBe(false);
  });

  it('names the exit code when stderr is empty', () => {
    expect(nftFailure('list tables', '', 2).message).toBe('nft list tables failed: exit code 2');
  });

  it('is code 50 to the runtime when nft is unavailable', () => {
    expect(asCniError(new NftError('unavailable', 'nft not found')).code).toBe(ErrorCode.PluginNotAvailable);
  });
});

describe('predicates', () => {
  it('are false for other errors and values', () => {
    for (const value of [new Error('No such file or directory'), 'File exists', undefined, null]) {
      expect(isNotFound(value)).toBe(false);
      expect(isExists(value)).toBe(false);
      expect(isNftError(value)).toBe(false);
    }
    expect(isNotFound(nftFailure('x', stderrOf.missingTable, 1))).toBe(true);
    expect(isNftError(nftFailure('x', stderrOf.syntax, 1), 'syntax')).toBe(true);
  });
});
