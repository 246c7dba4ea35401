// machineDown of a machine that is not there: nothing cached, no namespace (the real DEL runs
// in test/e2e/zonectl-machines.test.ts).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { machineDown } from '../../../lib/nspawn/down.js';
import { makeTestTempDir } from '../../support/paths.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('nspawn-down');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('machineDown', () => {
  it('is done at once for a machine that is already down', async () => {
    const outcome = await machineDown({
      confDir: join(dir, 'net.d'),
      cacheDir: join(dir, 'cache'),
      pluginDirs: [],
      machine: `czt-unit-${process.pid}-gone`,
    });
    expect(outcome).toEqual({ detached: [], failures: [], removedNetns: false });
  });

  it('refuses an invalid machine name', async () => {
    await expect(machineDown({ confDir: dir, cacheDir: dir, pluginDirs: [], machine: 'a/b' })).rejects.toThrow(/invalid machine name/);
  });
});
