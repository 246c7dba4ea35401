import { describe, expect, it } from 'vitest';
import { machineDriver } from '../../../../cli/zonectl/demo/machines.js';
import { findExecutable } from '../../../../lib/system/programs.js';

describe('machineDriver', () => {
  it('runs nspawn machines where nspawn is installed, plain namespaces when asked', () => {
    const nspawn = findExecutable('systemd-nspawn') !== undefined;
    expect(machineDriver()?.kind).toBe(nspawn ? 'systemd-nspawn machines' : 'plain network namespaces');
    const plain = machineDriver(true);
    expect(plain?.kind).toBe('plain network namespaces');
    // chrooted to the machine's root: its paths are as inside
    expect(plain?.path({ name: 'm', root: '/r' }, '/www')).toBe('/www');
  });

  it('refuses a plain machine without a namespace', () => {
    expect(() => machineDriver(true)?.start({ name: 'm', root: '/r', zone: 'z' }, ['true'])).toThrow(/needs a network namespace/);
  });
});
