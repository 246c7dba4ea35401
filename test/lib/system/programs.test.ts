import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessError } from '../../../lib/system/process.js';
import { findExecutable, requireExecutable } from '../../../lib/system/programs.js';

const dir = mkdtempSync(join(tmpdir(), 'programs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findExecutable', () => {
  it('finds programs in the system directories even with an empty PATH', () => {
    expect(findExecutable('sh', '')).toMatch(/^\/(usr\/)?bin\/sh$/);
  });

  it('takes absolute PATH entries, not relative ones', () => {
    const program = join(dir, 'only-here');
    writeFileSync(program, '#!/bin/sh\n');
    chmodSync(program, 0o755);
    expect(findExecutable('only-here', `relative:${dir}`)).toBe(program);
    expect(findExecutable('only-here', 'relative')).toBeUndefined();
  });

  it('finds systemd daemons', () => {
    expect(findExecutable('systemd-networkd', '')).toMatch(/\/systemd-networkd$/);
  });

  it('checks absolute names, and finds nothing for what is not there', () => {
    expect(findExecutable('/bin/sh')).toBe('/bin/sh');
    expect(findExecutable('/nonexistent/x')).toBeUndefined();
    expect(findExecutable('no-such-program-anywhere')).toBeUndefined();
  });
});

describe('requireExecutable', () => {
  it('finds what findExecutable finds, and fails naming a program that is not there', () => {
    expect(requireExecutable('sh')).toBe(findExecutable('sh'));
    expect(() => requireExecutable('no-such-program-anywhere')).toThrow(ProcessError);
    expect(() => requireExecutable('no-such-program-anywhere')).toThrow(
      /^required program "no-such-program-anywhere" not found \(\/usr\/sbin, .*PATH/,
    );
  });
});
