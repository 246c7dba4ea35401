// Name validation and listing of named namespaces; creating and removing them needs root
// and lives in test/e2e/netns.test.ts.
import { describe, expect, it } from 'vitest';
import { isNetnsError } from '../../../lib/netns/errors.js';
import { createNamedNetns, listNamedNetns, namedNetnsPath, removeNamedNetns } from '../../../lib/netns/named.js';
import { netnsNameProblem } from '../../../lib/names/index.js';

describe('netnsNameProblem', () => {
  it.each(['a', 'czt-1-host', 'cni-0123abcd', 'x_y.z', '0'.repeat(64)])('accepts %s', (name) => {
    expect(netnsNameProblem(name)).toBeUndefined();
  });

  it.each(['', '.', '..', '-x', '.hidden', 'a/b', '../etc', 'a b', 'a\nb', '0'.repeat(65), 'ü'])('rejects %j', (name) => {
    expect(netnsNameProblem(name)).toBeDefined();
  });
});

describe('namedNetnsPath', () => {
  it('is under /run/netns', () => {
    expect(namedNetnsPath('czt-a')).toBe('/run/netns/czt-a');
  });

  it('throws a typed error for a bad name', () => {
    expect(() => namedNetnsPath('../x')).toThrow(/invalid network namespace name/);
  });
});

describe('create and remove', () => {
  it('reject bad names before running anything', async () => {
    const created = createNamedNetns('../../tmp/x').catch((e: unknown) => e);
    expect(isNetnsError(await created, 'invalid-name')).toBe(true);
    const removed = removeNamedNetns('a/b').catch((e: unknown) => e);
    expect(isNetnsError(await removed, 'invalid-name')).toBe(true);
  });

  it('removing a namespace that is not there is not an error', async () => {
    expect(await removeNamedNetns(`czt-never-made-${process.pid}`)).toBe(false);
  });
});

describe('listNamedNetns', () => {
  it('lists valid names only, sorted', () => {
    const names = listNamedNetns();
    expect(names).toEqual([...names].sort());
    for (const name of names) expect(netnsNameProblem(name)).toBeUndefined();
  });
});
