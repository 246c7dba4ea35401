import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { selectListVersion } from '../../../lib/runtime/conf-version.js';

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}

describe('selectListVersion', () => {
  it('uses cniVersion when there is no cniVersions', () => {
    expect(selectListVersion({ cniVersion: '0.4.0' }, 'x')).toBe('0.4.0');
  });

  it('picks the highest supported version of cniVersions and cniVersion', () => {
    expect(selectListVersion({ cniVersion: '1.0.0', cniVersions: ['0.4.0', '1.1.0'] }, 'x')).toBe('1.1.0');
    expect(selectListVersion({ cniVersion: '1.0.0', cniVersions: ['0.3.1'] }, 'x')).toBe('1.0.0');
  });

  it('skips versions newer than this implementation', () => {
    expect(selectListVersion({ cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0', '2.0.0'] }, 'x')).toBe('1.1.0');
  });

  it('works from cniVersions alone', () => {
    expect(selectListVersion({ cniVersions: ['1.0.0', '0.4.0'] }, 'x')).toBe('1.0.0');
  });

  it('ignores offered versions it does not speak, older ones too', () => {
    expect(selectListVersion({ cniVersions: ['0.10.0', '0.4.0'] }, 'x')).toBe('0.4.0');
    expect(selectListVersion({ cniVersion: '0.2.0', cniVersions: ['0.3.1'] }, 'x')).toBe('0.3.1');
  });

  it('rejects a missing version with code 7', () => {
    expect(codeOf(() => selectListVersion({}, 'x'))).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('rejects a malformed version with code 7, naming the place', () => {
    const malformed = /net\.conflist: malformed cniVersions\[0\] "1\.0"/;
    expect(() => selectListVersion({ cniVersions: ['1.0'] }, 'net.conflist')).toThrow(malformed);
    expect(codeOf(() => selectListVersion({ cniVersion: 'one' }, 'x'))).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('rejects an unsupported version with code 1', () => {
    expect(codeOf(() => selectListVersion({ cniVersion: '0.2.0' }, 'x'))).toBe(ErrorCode.IncompatibleVersion);
    expect(codeOf(() => selectListVersion({ cniVersion: '9.0.0' }, 'x'))).toBe(ErrorCode.IncompatibleVersion);
    expect(codeOf(() => selectListVersion({ cniVersions: ['2.0.0'] }, 'x'))).toBe(ErrorCode.IncompatibleVersion);
  });
});
