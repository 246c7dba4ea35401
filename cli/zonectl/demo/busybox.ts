// A statically linked busybox for machine roots: the installed one when it is static (Debian's
// busybox-static), else extracted from the busybox-static package, as the recipe for nspawn
// test roots does. A dynamic busybox would need the host's libraries inside the machine.
import { closeSync, openSync, readSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from '../errors.js';
import { findExecutable } from '../../../lib/system/programs.js';
import { runChecked } from '../../../lib/system/process.js';

const PT_INTERP = 3;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, position);
  return buffer;
}

/** True for an ELF executable without a program interpreter (no dynamic loader needed). */
export function isStaticElf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const ident = readAt(fd, 0, 64);
    if (ident.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = ident[4] === 2;
    const le = ident[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? ident.readBigUInt64LE(0x20) : ident.readBigUInt64BE(0x20)) : u32(ident, 0x1c);
    const phentsize = u16(ident, is64 ? 0x36 : 0x2a);
    const phnum = u16(ident, is64 ? 0x38 : 0x2c);
    const headers = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) if (u32(headers, i * phentsize) === PT_INTERP) return false;
    return phnum > 0;
  } finally {
    closeSync(fd);
  }
}

export function installedStaticBusybox(): string | undefined {
  const path = findExecutable('busybox');
  return path !== undefined && isStaticElf(path) ? path : undefined;
}

/** busybox from Debian's busybox-static package, extracted into `workDir` (needs the network and apt). */
export async function downloadStaticBusybox(workDir: string): Promise<string> {
  try {
    await runChecked('apt-get', ['download', 'busybox-static'], { cwd: workDir, timeoutMs: 120_000, processGroup: true });
    const deb = (await readdir(workDir)).find((f) => f.startsWith('busybox-static_') && f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download left no busybox-static package');
    await runChecked('dpkg-deb', ['-x', join(workDir, deb), join(workDir, 'pkg')], { timeoutMs: 60_000, processGroup: true });
  } catch (e) {
    throw new CommandError(
      'no statically linked busybox for the demo machines',
      'install it: apt-get install busybox-static (make deps does)',
      (e as Error).message,
    );
  }
  const busybox = join(workDir, 'pkg', 'bin', 'busybox');
  if (!isStaticElf(busybox)) throw new CommandError(`${busybox} is not statically linked`, 'apt-get install busybox-static');
  return busybox;
}
