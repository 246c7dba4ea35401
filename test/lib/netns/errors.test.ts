import { describe, expect, it } from 'vitest';
import { asCniError, CniError, ErrorCode } from '../../../lib/cni/errors.js';
import { errnoCode, isNetnsError, isNetnsNotFound, NetnsError } from '../../../lib/netns/errors.js';

describe('NetnsError', () => {
  it('knows no CNI code; the registry gives one per reason', () => {
    const missing = new NetnsError('not-found', 'gone', 'why');
    expect(missing).not.toBeInstanceOf(CniError);
    expect(asCniError(missing)).toMatchObject({ code: ErrorCode.InvalidEnvironment, message: 'gone', details: 'why', cause: missing });
    expect(asCniError(new NetnsError('enter-failed', 'x')).code).toBe(ErrorCode.IoFailure);
    expect(asCniError(new NetnsError('invalid-name', 'x')).code).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('is recognised by reason', () => {
    const missing = new NetnsError('not-found', 'gone');
    expect(isNetnsNotFound(missing)).toBe(true);
    expect(isNetnsError(missing, 'not-netns')).toBe(false);
    expect(isNetnsError(missing)).toBe(true);
    expect(isNetnsNotFound(new Error('not-found'))).toBe(false);
    expect(isNetnsNotFound(new NetnsError('not-netns', 'x'))).toBe(false);
  });
});

describe('errnoCode', () => {
  it('reads the code of fs errors and nothing else', () => {
    expect(errnoCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errnoCode(new Error('x'))).toBeUndefined();
    expect(errnoCode(null)).toBeUndefined();
    expect(errnoCode({ code: 5 })).toBeUndefined();
  });
});
