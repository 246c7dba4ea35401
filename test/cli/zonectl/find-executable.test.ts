import { describe, expect, it } from 'vitest';
import { findExecutable } from '../../../cli/zonectl/find-executable.js';

describe('findExecutable', () => {
  it('finds programs in PATH and the sbin directories', () => {
    expect(findExecutable('sh')).toMatch(/\/sh$/);
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(findExecutable('sh')).toMatch(/^\/(usr\/)?bin\/sh$/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('checks absolute paths, and finds nothing for what is not there', () => {
    expect(findExecutable('/bin/sh')).toBe('/bin/sh');
    expect(findExecutable('/nonexistent/x')).toBeUndefined();
    expect(findExecutable('no-such-program-anywhere')).toBeUndefined();
  });
});
