import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../conformance/cli-args.js';

describe('parseCliArgs', () => {
  it('reads repeated and comma-separated options', () => {
    const o = parseCliArgs([
      '--config',
      'a.json',
      '--config',
      'b.json',
      '--plugin-dir',
      'dist/bin',
      '--only',
      'env,add',
      '--only',
      'del',
      '--json',
      '--junit',
      'r.xml',
      '--jobs',
      '3',
      '--timeout',
      '5000',
    ]);
    expect(o).toMatchObject({
      configs: ['a.json', 'b.json'],
      pluginDirs: ['dist/bin'],
      only: ['env', 'add', 'del'],
      json: true,
      junit: 'r.xml',
      jobs: 3,
      pluginTimeoutMs: 5000,
      list: false,
    });
    expect(o.markdown).toBeUndefined();
  });

  it('needs a profile unless listing or asking for help', () => {
    expect(() => parseCliArgs([])).toThrow(UsageError);
    expect(parseCliArgs(['--list']).list).toBe(true);
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  it('rejects unknown options, positionals and bad numbers', () => {
    expect(() => parseCliArgs(['--config', 'a', '--frob'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--config', 'a', 'extra'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--config', 'a', '--jobs', '0'])).toThrow(/positive integer/);
    expect(() => parseCliArgs(['--config', 'a', '--timeout', 'soon'])).toThrow(/positive integer/);
  });
});
