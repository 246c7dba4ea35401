import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { collectStaleTemps, createFile, isProcessAlive, readFileNoFollow, replaceFile, syncDirectory } from '../../../lib/files/durable.js';
import { makeTestTempDir } from '../../support/paths.js';

function tempDir(): string {
  const dir = makeTestTempDir('durable');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const deadPid = () => spawnSync('true').pid!;

describe('createFile', () => {
  it('creates the file with its content and mode', () => {
    const path = join(tempDir(), 'f');
    createFile(path, 'hello', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('hello');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses an existing file and a symlink planted at its path, and touches neither target', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'existing'), 'old');
    expect(() => createFile(join(dir, 'existing'), 'new', 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(join(dir, 'existing'), 'utf8')).toBe('old');

    writeFileSync(join(dir, 'victim'), 'precious');
    symlinkSync(join(dir, 'victim'), join(dir, 'link'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    expect(() => createFile(join(dir, 'link'), 'evil', 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => createFile(join(dir, 'dangling'), 'evil', 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});

describe('replaceFile', () => {
  it('replaces the content through the temp file and leaves no temp behind', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'old');
    replaceFile(join(dir, 'f'), join(dir, 'f.tmp'), 'new', 0o600);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('fails without following a symlink planted at the temp path, and removes nothing of the target', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'victim'), 'precious');
    symlinkSync(join(dir, 'victim'), join(dir, 'f.tmp'));
    expect(() => replaceFile(join(dir, 'f'), join(dir, 'f.tmp'), 'new', 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'f'))).toBe(false);
  });
});

describe('readFileNoFollow', () => {
  it('reads a file and refuses a symlink', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'text');
    symlinkSync(join(dir, 'f'), join(dir, 'link'));
    expect(readFileNoFollow(join(dir, 'f'))).toBe('text');
    expect(() => readFileNoFollow(join(dir, 'link'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});

describe('syncDirectory', () => {
  it('syncs a directory and refuses anything else', () => {
    const dir = tempDir();
    syncDirectory(dir);
    writeFileSync(join(dir, 'f'), '');
    expect(() => syncDirectory(join(dir, 'f'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});

describe('stale temp files', () => {
  it('knows live and dead processes, and never asks kill(2) about process groups', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(1)).toBe(true);
    expect(isProcessAlive(deadPid())).toBe(false);
    expect(isProcessAlive(0)).toBe(true);
    expect(isProcessAlive(-1)).toBe(true);
  });

  it('removes the temp files of dead writers only', () => {
    const dir = tempDir();
    const dead = deadPid();
    const names = [`t-${dead}`, `t-${process.pid}`, `t-${process.ppid}`, 'other'];
    for (const name of names) writeFileSync(join(dir, name), '');
    const writerOf = (name: string) => (name.startsWith('t-') ? Number(name.slice(2)) : undefined);
    expect(collectStaleTemps(dir, writerOf)).toEqual([`t-${dead}`]);
    expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
    expect(collectStaleTemps(join(dir, 'missing'), writerOf)).toEqual([]);
  });
});
