import { describe, expect, it } from 'vitest';
import { representativeVersions } from '../../../conformance/cases/result.js';
import { parseProfile } from '../../../conformance/profile.js';

function claiming(versions: string[]) {
  return parseProfile(
    { name: 'p', pluginDirs: ['/x'], conflist: { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 't' }] }, claims: { versions } },
    'p.json',
    '/',
  );
}

describe('representativeVersions', () => {
  it('takes the newest claimed version of each result format', () => {
    expect(representativeVersions(claiming(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']))).toEqual(['0.3.1', '0.4.0', '1.1.0']);
    expect(representativeVersions(claiming(['0.3.0', '1.0.0']))).toEqual(['0.3.0', '1.0.0']);
    expect(representativeVersions(claiming(['1.0.0', '1.1.0']))).toEqual(['1.1.0']);
  });
});
