import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { configPath, configPathProblem } from '../../../lib/cni/paths.js';

describe('configPathProblem', () => {
  it.each(['/', '/var/lib/cni/networks', '/run/cni-zones/ports/', '/a/.b/c..d/...'])('takes %j', (path) => {
    expect(configPathProblem(path)).toBeUndefined();
  });
  it.each([
    ['', /absolute/],
    ['var/lib/cni', /absolute/],
    ['./state', /absolute/],
    ['~/state', /absolute/],
    ['/var/lib/../../etc', /"\.\."/],
    ['/var/lib/cni/..', /"\.\."/],
    ['/var/./lib', /"\."/],
    ['/var//lib', /"\/\/"/],
    ['/var/lib\0/x', /NUL/],
  ])('refuses %j', (path, why) => expect(configPathProblem(path)).toMatch(why));
});

describe('configPath', () => {
  const schema = z.object({ dir: configPath() });
  it('fails a schema with the path and the reason', () => {
    const parsed = schema.safeParse({ dir: 'relative' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('"relative": it is not an absolute path');
  });
  it('passes a good path through', () => expect(schema.parse({ dir: '/run/x' })).toEqual({ dir: '/run/x' }));
  it('refuses a non-string', () => expect(schema.safeParse({ dir: 5 }).success).toBe(false));
});
