import { describe, expect, it } from 'vitest';
import { asCniError, CniError, ErrorCode } from '../../../lib/cni/errors.js';
import { LibcError } from '../../../lib/libc/index.js';
import {
  errnoName,
  incompleteAnswer,
  invalidArgument,
  isRtnlExists,
  isRtnlNotFound,
  notFound,
  refused,
  RtnlError,
  timedOut,
  toRtnlError,
} from '../../../lib/rtnl/errors.js';

describe('errnoName', () => {
  it('names the errnos rtnetlink answers with, and numbers the rest', () => {
    expect(errnoName(17)).toBe('EEXIST');
    expect(errnoName(19)).toBe('ENODEV');
    expect(errnoName(99)).toBe('EADDRNOTAVAIL');
    expect(errnoName(524)).toBe('ENOTSUPP');
    expect(errnoName(600)).toBe('errno 600');
  });
});

describe('refused', () => {
  it('maps EEXIST to isRtnlExists, with the extended ack as details', () => {
    const error = refused('create bridge br0', 17, 'A link with that name exists');
    expect(error).toBeInstanceOf(RtnlError);
    expect(error).not.toBeInstanceOf(CniError);
    expect(error.reason).toBe('exists');
    expect(error.errno).toBe('EEXIST');
    expect(error.message).toBe('create bridge br0: EEXIST');
    expect(error.details).toBe('A link with that name exists');
    expect(asCniError(error).code).toBe(ErrorCode.Internal);
    expect(isRtnlExists(error)).toBe(true);
    expect(isRtnlNotFound(error)).toBe(false);
  });

  it.each([2, 19, 3, 99])('maps errno %d to isRtnlNotFound', (errno) => {
    const error = refused('x', errno);
    expect(isRtnlNotFound(error)).toBe(true);
    expect(isRtnlExists(error)).toBe(false);
  });

  it.each([16, 11])('asks to try errno %d again later', (errno) => {
    expect(refused('x', errno).reason).toBe('busy');
    expect(asCniError(refused('x', errno)).code).toBe(ErrorCode.TryAgainLater);
  });
});

describe('timedOut / incompleteAnswer', () => {
  it('a timeout is a plugin timeout without errno', () => {
    const error = timedOut('list links', 10_000);
    expect(error.errno).toBeUndefined();
    expect(error.reason).toBe('timeout');
    expect(asCniError(error).code).toBe(ErrorCode.PluginTimeout);
    expect(error.message).toBe('list links: no answer from the kernel within 10000 ms');
  });

  it('an interrupted dump is worth another try, a cut-short answer is not', () => {
    expect(asCniError(incompleteAnswer('list links', 'interrupted')).code).toBe(ErrorCode.TryAgainLater);
    expect(asCniError(incompleteAnswer('list links', 'truncated')).code).toBe(ErrorCode.Internal);
  });
});

describe('toRtnlError', () => {
  it('names the errno of a failed socket call', () => {
    const error = toRtnlError(new LibcError('send', 105), 'add route');
    expect(error.errno).toBe('ENOBUFS');
    expect(error.message).toBe('add route: ENOBUFS');
    expect(error.details).toBe('send failed: errno 105');
  });

  it('keeps the errno of Node system errors (ErrnoException)', () => {
    const error = toRtnlError(Object.assign(new Error('open failed'), { code: 'EACCES' }), 'x');
    expect(error.errno).toBe('EACCES');
  });

  it('wraps anything else as an internal error', () => {
    const error = toRtnlError(new Error('boom'), 'x');
    expect(error).toMatchObject({ errno: undefined, reason: 'failed', message: 'x: boom' });
  });

  it('passes RtnlErrors through', () => {
    const original = notFound('find link eth9', 'link eth9');
    expect(toRtnlError(original, 'other')).toBe(original);
  });
});

describe('own errors', () => {
  it('notFound answers isRtnlNotFound', () => {
    expect(isRtnlNotFound(notFound('find link x', 'link x'))).toBe(true);
  });

  it('invalidArgument is a config error, neither exists nor not-found', () => {
    const error = invalidArgument('parse', 'bad');
    expect(asCniError(error).code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(isRtnlNotFound(error) || isRtnlExists(error)).toBe(false);
  });

  it('isRtnlExists/isRtnlNotFound are false for foreign errors', () => {
    expect(isRtnlExists(new LibcError('send', 17))).toBe(false);
    expect(isRtnlNotFound(Object.assign(new Error('x'), { errno: 'ENODEV' }))).toBe(false);
  });
});
