import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../../cli/zonectl/cli.js';
import { makeTestTempDir } from '../../../support/paths.js';
import { captureIo } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('down-command');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('zonectl down', () => {
  it('succeeds for a machine that is already down', async () => {
    const io = captureIo();
    const machine = `czt-unit-${process.pid}-gone`;
    expect(await run(['down', machine, '--conf-dir', join(dir, 'net.d'), '--cache-dir', join(dir, 'cache')], io)).toBe(0);
    expect(io.stdout).toBe(`${machine} is already down\n`);
  });
});
