import { describe, expect, it } from 'vitest';
import { defaultRuntimePaths } from '../../../lib/nspawn/runtime-paths.js';

describe('defaultRuntimePaths', () => {
  it("are libcni's", () => {
    expect(defaultRuntimePaths()).toEqual({
      confDir: '/etc/cni/net.d',
      pluginDirs: ['/opt/cni/bin', '/usr/lib/cni'],
      cacheDir: '/var/lib/cni',
    });
  });
});
