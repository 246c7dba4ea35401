import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../../cli/zonectl/cli.js';
import { makeTestTempDir } from '../../../support/paths.js';
import { captureIo } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('status-command');
  mkdirSync(join(dir, 'net.d'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('zonectl status', () => {
  it('says how to get a zone when there is none', async () => {
    const io = captureIo();
    expect(await run(['status', '--conf-dir', join(dir, 'net.d'), '--cache-dir', join(dir, 'cache')], io)).toBe(0);
    expect(io.stdout).toContain('No zones in');
    expect(io.stdout).toContain('zonectl install');
  });

  it('fails naming the fix for a zone that is not there', async () => {
    const io = captureIo();
    expect(await run(['status', 'nope', '--conf-dir', join(dir, 'net.d'), '--cache-dir', join(dir, 'cache')], io)).toBe(1);
    expect(io.stderr).toContain('no zone or network "nope"');
    expect(io.stderr).toContain('fix: run "zonectl status"');
  });
});
