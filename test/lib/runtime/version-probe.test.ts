import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { pluginVersions } from '../../../lib/runtime/version-probe.js';
import { failureOf, fixturePluginDir, makeSandbox, pluginTestEnv, PROCESS_TEST_TIMEOUT_MS, readCalls, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('version');
});
afterEach(() => sandbox.remove());

const options = (env: NodeJS.ProcessEnv = {}) => ({
  pluginDirs: [fixturePluginDir],
  env: { ...pluginTestEnv(), RECORDER_FILE: sandbox.recordFile, ...env },
  timeoutMs: 20_000,
});

describe('pluginVersions', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('returns the versions the plugin supports', async () => {
    expect(await pluginVersions('recorder', options({ RECORDER_VERSIONS: '0.4.0,1.0.0' }))).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.4.0', '1.0.0'],
    });
  });

  it('probes like libcni: dummy netns, ifname and path, our newest version on stdin', async () => {
    await pluginVersions('recorder', options());
    const [call] = readCalls(sandbox);
    expect(call?.env).toEqual({
      CNI_COMMAND: 'VERSION',
      CNI_CONTAINERID: '',
      CNI_NETNS: 'dummy',
      CNI_ARGS: '',
      CNI_IFNAME: 'dummy',
      CNI_PATH: 'dummy',
    });
    expect(call?.stdin).toEqual({ cniVersion: '1.1.0' });
  });

  it('reads a 0.2.0 answer without supportedVersions as 0.1.0 and 0.2.0', async () => {
    const info = await pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: '{"cniVersion":"0.2.0"}' }));
    expect(info.supportedVersions).toEqual(['0.1.0', '0.2.0']);
  });

  it('takes a plugin from before VERSION existed for a 0.1.0 plugin', async () => {
    const error = '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}';
    const info = await pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: error, RECORDER_VERSION_EXIT: '1' }));
    expect(info.supportedVersions).toEqual(['0.1.0']);
  });

  it('rejects an answer without cniVersion or supportedVersions with code 6', async () => {
    await expect(pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: '{}' }))).rejects.toMatchObject({
      code: ErrorCode.DecodingFailure,
    });
    await expect(pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: '{"cniVersion":"1.0.0"}' }))).rejects.toMatchObject({
      code: ErrorCode.DecodingFailure,
    });
    await expect(pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: 'junk' }))).rejects.toMatchObject({
      code: ErrorCode.DecodingFailure,
    });
  });

  it('passes on other plugin errors', async () => {
    const error = '{"code":11,"msg":"busy"}';
    const failure = await failureOf(pluginVersions('recorder', options({ RECORDER_VERSION_OUTPUT: error, RECORDER_VERSION_EXIT: '1' })));
    expect(failure.code).toBe(11);
  });

  it('reports a missing plugin with code 50', async () => {
    await expect(pluginVersions('nope', options())).rejects.toMatchObject({ code: ErrorCode.PluginNotAvailable });
  });
});
