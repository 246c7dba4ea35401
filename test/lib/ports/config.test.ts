import { describe, expect, it } from 'vitest';
import type { NetConf } from '../../../lib/cni/config.js';
import { DEFAULT_STATE_DIR, loadPortsConfig } from '../../../lib/ports/config.js';

const conf = (extra: object = {}) => ({ cniVersion: '1.0.0', name: 'web', type: 'zone-ports', ...extra }) as NetConf;

describe('loadPortsConfig', () => {
  it('exposes on localhost by default and records state under /run', () => {
    expect(loadPortsConfig(conf())).toEqual({ localhost: true, stateDir: DEFAULT_STATE_DIR });
    expect(DEFAULT_STATE_DIR).toBe('/run/cni-zones/ports');
  });

  it('reads localhost and portsStateDir', () => {
    expect(loadPortsConfig(conf({ localhost: false, portsStateDir: '/tmp/x' }))).toEqual({ localhost: false, stateDir: '/tmp/x' });
  });

  it('refuses wrong types and relative directories with code 7', () => {
    expect(() => loadPortsConfig(conf({ localhost: 'no' }))).toThrow(expect.objectContaining({ code: 7 }));
    expect(() => loadPortsConfig(conf({ portsStateDir: 'state' }))).toThrow(expect.objectContaining({ code: 7, details: expect.stringMatching(/absolute/) }));
  });
});
