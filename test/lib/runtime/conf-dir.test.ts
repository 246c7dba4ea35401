import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { confFiles, loadConfDir, loadConfList, NetworkNotFoundError } from '../../../lib/runtime/conf-dir.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
let dir: string;

beforeEach(() => {
  sandbox = makeSandbox('confdir');
  dir = join(sandbox.dir, 'net.d');
  mkdirSync(dir);
});
afterEach(() => sandbox.remove());

function write(name: string, content: unknown): void {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
}

const list = (name: string, type = 'zone') => ({ cniVersion: '1.0.0', name, plugins: [{ type }] });
const single = (name: string, type = 'bridge') => ({ cniVersion: '1.0.0', name, type });

describe('confFiles', () => {
  it('lists files with the given extensions, sorted by name, without directories', async () => {
    write('20-b.conflist', list('b'));
    write('10-a.conflist', list('a'));
    write('05-c.conf', single('c'));
    write('README', 'x');
    mkdirSync(join(dir, '00-dir.conflist'));
    expect(await confFiles(dir, ['.conflist'])).toEqual([join(dir, '10-a.conflist'), join(dir, '20-b.conflist')]);
    expect(await confFiles(dir, ['.conf', '.conflist'])).toEqual([
      join(dir, '05-c.conf'),
      join(dir, '10-a.conflist'),
      join(dir, '20-b.conflist'),
    ]);
  });

  it('sorts by byte value, upper case before lower case', async () => {
    write('b.conf', single('b'));
    write('B.conf', single('B'));
    write('a.conf', single('a'));
    expect(await confFiles(dir, ['.conf'])).toEqual(['B.conf', 'a.conf', 'b.conf'].map((n) => join(dir, n)));
  });

  it('gives nothing for a missing directory', async () => {
    expect(await confFiles(join(dir, 'missing'), ['.conf'])).toEqual([]);
  });
});

describe('loadConfList', () => {
  it('finds a network by name among conflists', async () => {
    write('10-a.conflist', list('a'));
    write('20-b.conflist', list('b', 'second'));
    const found = await loadConfList(dir, 'b');
    expect(found.plugins[0]?.type).toBe('second');
    expect(found.source).toBe(join(dir, '20-b.conflist'));
  });

  it('takes the first file in name order when two carry the same name', async () => {
    write('20-x.conflist', list('x', 'late'));
    write('10-x.conflist', list('x', 'early'));
    expect((await loadConfList(dir, 'x')).plugins[0]?.type).toBe('early');
  });

  it('prefers a conflist over a .conf of the same name', async () => {
    write('00-x.conf', single('x', 'from-conf'));
    write('99-x.conflist', list('x', 'from-list'));
    expect((await loadConfList(dir, 'x')).plugins[0]?.type).toBe('from-list');
  });

  it('falls back to .conf and .json files, converted into a list', async () => {
    write('10-a.conflist', list('a'));
    write('20-y.json', single('y', 'from-json'));
    const found = await loadConfList(dir, 'y');
    expect(found.plugins).toHaveLength(1);
    expect(found.plugins[0]?.type).toBe('from-json');
  });

  it('fails with NetworkNotFoundError (code 7) when no file has the name', async () => {
    write('10-a.conflist', list('a'));
    const error = await loadConfList(dir, 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkNotFoundError);
    expect(error).toMatchObject({ code: ErrorCode.InvalidNetworkConfig, message: `no net configuration with name "nope" in ${dir}` });
  });

  it('fails on a file that is not JSON, which might have been the one asked for', async () => {
    write('05-broken.conflist', '{');
    write('10-a.conflist', list('a'));
    await expect(loadConfList(dir, 'a')).rejects.toMatchObject({ code: ErrorCode.DecodingFailure });
  });

  it('is not stopped by an invalid list of another network', async () => {
    write('05-other.conflist', { cniVersion: '0.1.0', name: 'other', plugins: [] });
    write('10-a.conflist', list('a'));
    expect((await loadConfList(dir, 'a')).name).toBe('a');
  });

  it('reports the problems of the list asked for', async () => {
    write('10-a.conflist', { cniVersion: '7.0.0', name: 'a', plugins: [{ type: 'x' }] });
    await expect(loadConfList(dir, 'a')).rejects.toMatchObject({ code: ErrorCode.IncompatibleVersion });
  });
});

describe('loadConfDir', () => {
  it('loads every configuration in file-name order', async () => {
    write('20-b.conflist', list('b'));
    write('10-a.conf', single('a'));
    write('30-c.json', single('c'));
    write('notes.txt', 'x');
    expect((await loadConfDir(dir)).map((l) => l.name)).toEqual(['a', 'b', 'c']);
  });
});
