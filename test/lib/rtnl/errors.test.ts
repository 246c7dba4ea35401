import { describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../lib/cni/errors.js';
import {
  errnoFromMessage,
  invalidArgument,
  isExists,
  isNotFound,
  notFound,
  request,
  RtnlError,
  toRtnlError,
} from '../../../lib/rtnl/errors.js';

// What the `netlink` package throws for a kernel ERROR message.
const rejected = (code: string) => new Error(`Request rejected: ${code}`);

describe('errnoFromMessage', () => {
  it('reads the errno name from the package message', () => {
    expect(errnoFromMessage('Request rejected: EEXIST')).toBe('EEXIST');
    expect(errnoFromMessage('Request rejected: -523')).toBe('-523');
    expect(errnoFromMessage('Timeout has been reached')).toBeUndefined();
  });
});

describe('toRtnlError', () => {
  it('maps EEXIST to isExists', () => {
    const error = toRtnlError(rejected('EEXIST'), 'create bridge br0');
    expect(error).toBeInstanceOf(RtnlError);
    expect(error).toBeInstanceOf(CniError);
    expect(error.errno).toBe('EEXIST');
    expect(error.message).toBe('create bridge br0: EEXIST');
    expect(error.code).toBe(ErrorCode.Internal);
    expect(isExists(error)).toBe(true);
    expect(isNotFound(error)).toBe(false);
  });

  it.each(['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL'])('maps %s to isNotFound', (code) => {
    const error = toRtnlError(rejected(code), 'x');
    expect(isNotFound(error)).toBe(true);
    expect(isExists(error)).toBe(false);
  });

  it.each(['EBUSY', 'EAGAIN'])('asks to try %s again later', (code) => {
    expect(toRtnlError(rejected(code), 'x').code).toBe(ErrorCode.TryAgainLater);
  });

  it('turns the package timeout into a plugin timeout', () => {
    const error = toRtnlError(new Error('Timeout has been reached'), 'list links');
    expect(error.errno).toBeUndefined();
    expect(error.code).toBe(ErrorCode.PluginTimeout);
  });

  it('keeps the errno of socket errors (ErrnoException)', () => {
    const error = toRtnlError(Object.assign(new Error('sendmsg failed'), { code: 'ENOBUFS' }), 'x');
    expect(error.errno).toBe('ENOBUFS');
  });

  it('passes RtnlErrors through', () => {
    const original = notFound('find link eth9', 'link eth9');
    expect(toRtnlError(original, 'other')).toBe(original);
  });
});

describe('own errors', () => {
  it('notFound answers isNotFound', () => {
    expect(isNotFound(notFound('find link x', 'link x'))).toBe(true);
  });

  it('invalidArgument is a config error, neither exists nor not-found', () => {
    const error = invalidArgument('parse', 'bad');
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(isNotFound(error) || isExists(error)).toBe(false);
  });

  it('isExists/isNotFound are false for foreign errors', () => {
    expect(isExists(rejected('EEXIST'))).toBe(false);
    expect(isNotFound(Object.assign(new Error('x'), { errno: 'ENODEV' }))).toBe(false);
  });
});

describe('request', () => {
  it('returns the result or rethrows as RtnlError', async () => {
    expect(await request('op', async () => 5)).toBe(5);
    const error = await request('delete vh0', async () => Promise.reject(rejected('ENODEV'))).catch((e: unknown) => e);
    expect(isNotFound(error)).toBe(true);
    expect((error as RtnlError).operation).toBe('delete vh0');
  });
});
