// The parts of machineUp that decide before anything is made (the attachment itself is
// exercised for real in test/e2e/zonectl-machines.test.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePortSpec } from '../../../lib/nspawn/port-spec.js';
import { DEFAULT_IFNAME, machineRuntimeConf, machineUp, runtimeConfOf, runtimeConfOfEntry } from '../../../lib/nspawn/up.js';
import { makeTestTempDir } from '../../support/paths.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('nspawn-up');
  mkdirSync(join(dir, 'net.d'));
  writeFileSync(join(dir, 'net.d', 'web.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'web', plugins: [{ type: 'zone' }] }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const paths = () => ({ confDir: join(dir, 'net.d'), cacheDir: join(dir, 'cache'), pluginDirs: [join(dir, 'bin')] });

describe('machineUp refuses before it makes anything', () => {
  it('an invalid machine name', async () => {
    await expect(machineUp({ ...paths(), machine: '../x', network: 'web' })).rejects.toThrow(/invalid machine name/);
  });

  it('two mappings of one host port', async () => {
    const portMappings = [parsePortSpec('8080:80'), parsePortSpec('8080:81')];
    await expect(machineUp({ ...paths(), machine: 'czt-unit-web', network: 'web', portMappings })).rejects.toThrow(/published twice/);
  });

  it('a network that is not in the conf dir', async () => {
    await expect(machineUp({ ...paths(), machine: 'czt-unit-web', network: 'nope' })).rejects.toMatchObject({ code: 7, network: 'nope' });
    expect(existsSync('/run/netns/czt-unit-web')).toBe(false);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
  });
});

describe('runtime configurations', () => {
  it('of a new attachment', () => {
    expect(runtimeConfOf({ ...paths(), timeoutMs: 5 }, { containerId: 'web', netns: '/run/netns/web', ifname: DEFAULT_IFNAME })).toEqual({
      containerId: 'web',
      netns: '/run/netns/web',
      ifname: 'eth0',
      pluginDirs: [join(dir, 'bin')],
      cacheDir: join(dir, 'cache'),
      timeoutMs: 5,
    });
  });

  it("of a machine: its name is its pod name, as runtimes pass a container's", () => {
    expect(machineRuntimeConf(paths(), 'web', '/run/netns/web', 'eth0')).toEqual({
      containerId: 'web',
      netns: '/run/netns/web',
      ifname: 'eth0',
      pluginDirs: [join(dir, 'bin')],
      cacheDir: join(dir, 'cache'),
      args: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAME', 'web'],
      ],
    });
  });

  it('of a cached attachment: its CNI_ARGS and capability arguments as cached', () => {
    const entry = {
      networkName: 'web',
      containerId: 'web',
      ifname: 'eth1',
      config: Buffer.from('{}'),
      cniArgs: [['IgnoreUnknown', '1']] as [string, string][],
      capabilityArgs: { portMappings: [{ hostPort: 1, containerPort: 1, protocol: 'tcp' }] },
    };
    expect(runtimeConfOfEntry(paths(), entry, '')).toMatchObject({
      containerId: 'web',
      ifname: 'eth1',
      netns: '',
      args: [['IgnoreUnknown', '1']],
      capabilityArgs: entry.capabilityArgs,
    });
  });
});
