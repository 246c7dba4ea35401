import { describe, expect, it } from 'vitest';
import type { NetConf } from '../../../lib/cni/config.js';
import { DEFAULT_STATE_DIR, loadPortsConfig, loadPortsConfigForDel } from '../../../lib/ports/config.js';

const conf = (extra: object = {}) => ({ cniVersion: '1.0.0', name: 'web', type: 'zone-ports', ...extra }) as NetConf;

describe('loadPortsConfig', () => {
  it('exposes on localhost by default and records state under /run', () => {
    expect(loadPortsConfig(conf())).toEqual({ localhost: true, localhost6: true, stateDir: DEFAULT_STATE_DIR });
    expect(DEFAULT_STATE_DIR).toBe('/run/cni-zones/ports');
  });

  it('reads localhost and portsStateDir', () => {
    expect(loadPortsConfig(conf({ localhost: 'ipv4' }))).toMatchObject({ localhost: true, localhost6: false });
    expect(loadPortsConfig(conf({ localhost: false, portsStateDir: '/tmp/x' }))).toEqual({
      localhost: false,
      localhost6: false,
      stateDir: '/tmp/x',
    });
  });

  it('refuses wrong types and relative directories with code 7', () => {
    expect(() => loadPortsConfig(conf({ localhost: 'no' }))).toThrow(expect.objectContaining({ code: 7 }));
    expect(() => loadPortsConfig(conf({ portsStateDir: 'state' }))).toThrow(
      expect.objectContaining({ code: 7, details: expect.stringMatching(/absolute/) }),
    );
  });

  it.each(['/run/cni-zones/../../etc', '/run/./x', '/run//x'])('refuses the portsStateDir %j, which is not normal', (portsStateDir) => {
    expect(() => loadPortsConfig(conf({ portsStateDir }))).toThrow(expect.objectContaining({ code: 7 }));
  });
});

describe('loadPortsConfigForDel', () => {
  it('reads only where the records are: a broken localhost does not stop a DEL', () => {
    expect(loadPortsConfigForDel(conf({ localhost: 'no', portsStateDir: '/tmp/x' }))).toEqual({
      localhost: true,
      localhost6: true,
      stateDir: '/tmp/x',
    });
    expect(loadPortsConfigForDel(conf()).stateDir).toBe(DEFAULT_STATE_DIR);
  });

  it('still refuses a portsStateDir it cannot trust', () => {
    expect(() => loadPortsConfigForDel(conf({ portsStateDir: 'state' }))).toThrow(expect.objectContaining({ code: 7 }));
  });
});
