import { describe, expect, it } from 'vitest';
import { machineNameProblem } from '../../../lib/names/index.js';
import { machineNetnsPath, validateMachineName } from '../../../lib/nspawn/machine.js';

describe('machine names', () => {
  it.each(['web', 'web-1', 'a.b_c', 'x'.repeat(64), '0day'])('accepts %s', (name) => {
    expect(machineNameProblem(name)).toBeUndefined();
  });

  it.each(['', '-web', '.web', 'a/b', 'a b', 'a..b', 'x'.repeat(65), 'wéb'])('refuses %j', (name) => {
    expect(machineNameProblem(name)).toBeDefined();
    expect(() => validateMachineName(name)).toThrow(/invalid machine name/);
  });

  it('names the namespace', () => {
    expect(machineNetnsPath('web')).toBe('/run/netns/web');
    expect(() => machineNetnsPath('../etc')).toThrow();
  });
});
