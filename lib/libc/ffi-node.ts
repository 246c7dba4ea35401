// The FFI port under Node: koffi. Types are spelled as koffi's C prototypes; a Uint8Array
// passes as a pointer to its bytes.
import type { FfiArg, FfiBinding, FfiReturn, FfiSignature } from './ffi.js';
import { requireNative } from './native.js';

type Koffi = typeof import('koffi');

const argTypes: Record<FfiArg, string> = {
  i32: 'int',
  u32: 'uint32_t',
  usize: 'size_t',
  buffer: 'void *',
  string: 'const char *',
  pointer: 'void *',
};

const returnTypes: Record<FfiReturn, string> = {
  i32: 'int',
  isize: 'intptr_t',
  pointer: 'void *',
  string: 'const char *',
  void: 'void',
};

export function nodeBinding(): FfiBinding {
  const koffi = requireNative<Koffi>('koffi');
  return {
    runtime: 'node',
    open(library, symbols) {
      const lib = koffi.load(library);
      const bound: Record<string, (...args: unknown[]) => unknown> = {};
      for (const [name, signature] of Object.entries(symbols) as [string, FfiSignature][]) {
        const fn = lib.func(
          name,
          returnTypes[signature.returns],
          signature.args.map((arg) => argTypes[arg]),
        );
        bound[name] = signature.returns === 'isize' ? (...args) => Number(fn(...args)) : (...args) => fn(...args);
      }
      return bound;
    },
    errno: () => koffi.errno(),
  };
}
