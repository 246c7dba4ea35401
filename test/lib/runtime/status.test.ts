import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { statusNetworkList } from '../../../lib/runtime/status.js';
import { fixturePluginDir, makeSandbox, pluginTestEnv, PROCESS_TEST_TIMEOUT_MS, readCalls, recorderList, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('status');
});
afterEach(() => sandbox.remove());

const options = () => ({ pluginDirs: [fixturePluginDir], env: pluginTestEnv(), timeoutMs: 20_000 });

describe('statusNetworkList', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('asks every plugin in order, with the list identity and no attachment', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', capabilities: { mac: true } }, { tag: 'b' }]);
    await statusNetworkList(list, options());
    const calls = readCalls(sandbox);
    expect(calls.map((c) => `${c.command} ${String(c.stdin.tag)}`)).toEqual(['STATUS a', 'STATUS b']);
    expect(calls[0]?.env).toEqual({
      CNI_COMMAND: 'STATUS',
      CNI_CONTAINERID: '',
      CNI_NETNS: '',
      CNI_ARGS: '',
      CNI_IFNAME: '',
      CNI_PATH: fixturePluginDir,
    });
    expect(calls[0]?.stdin).toMatchObject({ name: 'testnet', cniVersion: '1.1.0' });
    expect(calls[0]?.stdin).not.toHaveProperty('prevResult');
    expect(calls[0]?.stdin).not.toHaveProperty('runtimeConfig');
  });

  it('is a no-op for lists older than 1.1.0', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }], { cniVersion: '1.0.0' });
    await statusNetworkList(list, options());
    expect(readCalls(sandbox)).toEqual([]);
  });

  it('stops at the first plugin that is not ready and keeps its code', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', fail: { STATUS: { code: 50, msg: 'not ready' } } }, { tag: 'b' }]);
    await expect(statusNetworkList(list, options())).rejects.toMatchObject({
      code: ErrorCode.PluginNotAvailable,
      message: 'plugin type="recorder" failed (status): not ready',
    });
    expect(readCalls(sandbox)).toHaveLength(1);
  });
});
