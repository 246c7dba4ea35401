// The FFI port inside the compiled executable: Bun's built-in bun:ffi. Strings go in as
// NUL-terminated buffers; errno is read through glibc's __errno_location right after the
// failed call, on the same thread.
import { createRequire } from 'node:module';
import type { FfiArg, FfiBinding, FfiReturn, FfiSignature } from './ffi.js';

type BunFfi = typeof import('bun:ffi');

const argTypes: Record<FfiArg, string> = {
  i32: 'i32',
  u32: 'u32',
  usize: 'usize',
  buffer: 'ptr',
  string: 'ptr',
  pointer: 'ptr',
};

const returnTypes: Record<FfiReturn, string> = {
  i32: 'i32',
  isize: 'i64_fast',
  pointer: 'ptr',
  string: 'ptr',
  void: 'void',
};

function cString(value: unknown): Uint8Array {
  return Buffer.from(`${String(value)}\0`, 'utf8');
}

export function bunBinding(): FfiBinding {
  const bun = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  const errnoLocation = bun.dlopen('libc.so.6', { __errno_location: { args: [], returns: 'ptr' } }).symbols.__errno_location;
  const readString = (pointer: unknown) => (pointer ? new bun.CString(pointer as never).toString() : null);
  return {
    runtime: 'bun',
    open(library, symbols) {
      const declarations = Object.fromEntries(
        Object.entries(symbols as Record<string, FfiSignature>).map(([name, s]) => [
          name,
          { args: s.args.map((arg) => argTypes[arg]), returns: returnTypes[s.returns] },
        ]),
      );
      const { symbols: raw } = bun.dlopen(library, declarations as never) as { symbols: Record<string, (...args: unknown[]) => unknown> };
      const bound: Record<string, (...args: unknown[]) => unknown> = {};
      for (const [name, signature] of Object.entries(symbols as Record<string, FfiSignature>)) {
        const fn = raw[name]!;
        const stringArgs = signature.args.map((arg) => arg === 'string');
        const call = stringArgs.some(Boolean)
          ? (...args: unknown[]) => fn(...args.map((value, i) => (stringArgs[i] ? cString(value) : value)))
          : fn;
        bound[name] = signature.returns === 'string' ? (...args) => readString(call(...args)) : call;
      }
      return bound;
    },
    errno: () => bun.read.i32(errnoLocation() as never, 0),
  };
}
