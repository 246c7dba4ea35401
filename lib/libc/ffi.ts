// The foreign-function port: the only module that knows which JavaScript runtime runs us.
// Under Node it is koffi (a native addon); inside the compiled executable it is Bun's own
// bun:ffi, because a compiled Bun executable cannot load koffi's addon. Callers describe a C
// function with the few argument kinds we need and get back a plain synchronous function.
//
//   const libc = openLibrary('libc.so.6', { setns: { args: ['i32', 'i32'], returns: 'i32' } });
//   if (libc.setns(fd, CLONE_NEWNET) !== 0) throw new LibcError('setns', lastErrno());

import { bunBinding } from './ffi-bun.js';
import { nodeBinding } from './ffi-node.js';

/**
 * i32/u32: C int and unsigned; usize: size_t; buffer: a Uint8Array passed as a pointer to its
 * bytes (the callee may write into it); string: a NUL-terminated copy of a JS string;
 * pointer: an opaque pointer returned by an earlier call (a library's handle).
 */
export type FfiArg = 'i32' | 'u32' | 'usize' | 'buffer' | 'string' | 'pointer';
/** isize: ssize_t; string: a `const char *` read as UTF-8 (null for NULL). */
export type FfiReturn = 'i32' | 'isize' | 'pointer' | 'string' | 'void';

export interface FfiSignature {
  readonly args: readonly FfiArg[];
  readonly returns: FfiReturn;
}

declare const opaque: unique symbol;
/** A pointer owned by a C library; only ever handed back to it. */
export type FfiPointer = { readonly [opaque]: true };

type ArgValue<A extends FfiArg> = A extends 'buffer' ? Uint8Array : A extends 'string' ? string : A extends 'pointer' ? FfiPointer : number;
type ReturnValue<R extends FfiReturn> = R extends 'pointer'
  ? FfiPointer | null
  : R extends 'string'
    ? string | null
    : R extends 'void'
      ? // biome-ignore lint/suspicious/noConfusingVoidType: a C function returning void returns nothing to use
        void
      : number;
type ArgValues<A extends readonly FfiArg[]> = { -readonly [K in keyof A]: A[K] extends FfiArg ? ArgValue<A[K]> : never };

export type FfiFunction<S extends FfiSignature> = (...args: ArgValues<S['args']>) => ReturnValue<S['returns']>;
export type FfiLibrary<T extends Record<string, FfiSignature>> = { readonly [K in keyof T]: FfiFunction<T[K]> };

/** What each runtime's binding provides (lib/libc/ffi-node.ts, lib/libc/ffi-bun.ts). */
export interface FfiBinding {
  readonly runtime: 'node' | 'bun';
  /** Throws when the library or a symbol cannot be loaded. */
  open(library: string, symbols: Record<string, FfiSignature>): Record<string, (...args: unknown[]) => unknown>;
  /** errno of the calling thread, read right after a failed call. */
  errno(): number;
}

class FfiUnavailableError extends Error {
  constructor(
    readonly library: string,
    readonly reason: string,
  ) {
    super(`cannot load ${library}: ${reason}`);
    this.name = 'FfiUnavailableError';
  }
}

let binding: FfiBinding | undefined;

function isBun(): boolean {
  return typeof process.versions.bun === 'string';
}

/** The binding of the runtime we run on, loaded on first use. */
function ffi(): FfiBinding {
  if (binding) return binding;
  // Each binding loads its runtime's FFI (koffi, bun:ffi) only here, so neither costs the
  // other runtime anything.
  binding = isBun() ? bunBinding() : nodeBinding();
  return binding;
}

/** Bind `symbols` of `library` (a soname such as libc.so.6, or a path). */
export function openLibrary<T extends Record<string, FfiSignature>>(library: string, symbols: T): FfiLibrary<T> {
  try {
    return ffi().open(library, symbols) as unknown as FfiLibrary<T>;
  } catch (e) {
    if (e instanceof FfiUnavailableError) throw e;
    throw new FfiUnavailableError(library, (e as Error).message);
  }
}

export function lastErrno(): number {
  return ffi().errno();
}
