// The part of Bun's built-in `bun:ffi` that lib/libc/ffi-bun.ts uses, so type checking needs
// no Bun type package (Node's types stay the only ambient ones).
declare module 'bun:ffi' {
  type Pointer = number & { readonly __pointer: true };
  interface Declaration {
    args: readonly string[];
    returns: string;
  }
  export function dlopen<T extends Record<string, Declaration>>(
    path: string,
    symbols: T,
  ): { symbols: { [K in keyof T]: (...args: unknown[]) => unknown }; close(): void };
  export class CString extends String {
    constructor(pointer: Pointer, byteOffset?: number, byteLength?: number);
  }
  export const read: { i32(pointer: Pointer, byteOffset: number): number };
}
