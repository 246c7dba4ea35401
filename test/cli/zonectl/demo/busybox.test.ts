import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStaticElf } from '../../../../cli/zonectl/demo/busybox.js';
import { makeTestTempDir } from '../../../support/paths.js';

const dir = makeTestTempDir('demo-busybox');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 64-bit little-endian ELF header with the given program header types. */
function elf64(types: number[]): Buffer {
  const phoff = 64;
  const phentsize = 56;
  const buffer = Buffer.alloc(phoff + phentsize * types.length);
  buffer.writeUInt32BE(0x7f454c46, 0);
  buffer[4] = 2;
  buffer[5] = 1;
  buffer.writeBigUInt64LE(BigInt(phoff), 0x20);
  buffer.writeUInt16LE(phentsize, 0x36);
  buffer.writeUInt16LE(types.length, 0x38);
  types.forEach((type, i) => buffer.writeUInt32LE(type, phoff + i * phentsize));
  return buffer;
}

function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('isStaticElf', () => {
  it('is true without a program interpreter, false with one', () => {
    expect(isStaticElf(file('static', elf64([1, 1, 4])))).toBe(true);
    expect(isStaticElf(file('dynamic', elf64([6, 3, 1])))).toBe(false);
  });

  it('is false for what is no executable', () => {
    expect(isStaticElf(file('script', '#!/bin/sh\n'.padEnd(64, ' ')))).toBe(false);
    expect(isStaticElf(join(dir, 'missing'))).toBe(false);
    expect(isStaticElf(file('no-headers', elf64([])))).toBe(false);
  });

  it('tells the node binary (dynamic) apart', () => {
    expect(isStaticElf(process.execPath)).toBe(false);
  });
});
