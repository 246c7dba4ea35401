import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  isLegacyResultVersion,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
  versionAtLeast,
} from '../../../lib/cni/version.js';

describe('versions', () => {
  it('supports exactly 0.3.0 through 1.1.0', () => {
    expect(SUPPORTED_VERSIONS).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(isSupportedVersion('0.2.0')).toBe(false);
    expect(isSupportedVersion('1.2.0')).toBe(false);
    expect(isSupportedVersion(1)).toBe(false);
  });

  it('compares numerically, not as text', () => {
    expect(compareVersions('0.10.0', '0.4.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(versionAtLeast('0.3.1', '0.4.0')).toBe(false);
    expect(versionAtLeast('1.1.0', '0.4.0')).toBe(true);
  });

  it('rejects malformed versions', () => {
    expect(() => compareVersions('1.0', '1.0.0')).toThrow(/malformed/);
  });

  it('knows which results carry ips[].version', () => {
    expect(isLegacyResultVersion('0.4.0')).toBe(true);
    expect(isLegacyResultVersion('1.0.0')).toBe(false);
  });
});
