import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { addNetworkList } from '../../../lib/runtime/add.js';
import { cacheFilePath, resultsDir } from '../../../lib/runtime/cache.js';
import { delNetworkList } from '../../../lib/runtime/del.js';
import { callSummary, makeSandbox, PROCESS_TEST_TIMEOUT_MS, readCalls, recorderList, runtimeConf, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('del');
});
afterEach(() => sandbox.remove());

const key = { networkName: 'testnet', containerId: 'c0ffee', ifname: 'eth0' };
const cacheFile = () => cacheFilePath(sandbox.cacheDir, key);

describe('delNetworkList', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('runs every plugin in reverse order with the cached result as prevResult, then removes the cache record', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', addIP: '10.0.0.2/24' }, { tag: 'b' }]);
    const rt = runtimeConf(sandbox, { capabilityArgs: { mac: 'c2:00:00:00:00:01' } });
    const added = await addNetworkList(list, rt);
    expect(existsSync(cacheFile())).toBe(true);

    await delNetworkList(list, rt);
    const dels = readCalls(sandbox).filter((c) => c.command === 'DEL');
    expect(dels.map((c) => c.stdin.tag)).toEqual(['b', 'a']);
    for (const call of dels) {
      expect(call.stdin.prevResult).toEqual({ ...added });
      expect(call.stdin).toMatchObject({ name: 'testnet', cniVersion: '1.1.0' });
      expect(call.env).toMatchObject({
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'c0ffee',
        CNI_IFNAME: 'eth0',
        CNI_NETNS: '/run/netns/test',
      });
    }
    expect(existsSync(cacheFile())).toBe(false);
  });

  it('succeeds without a cache record, running the plugins without prevResult', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }, { tag: 'b' }]);
    await delNetworkList(list, runtimeConf(sandbox));
    expect(callSummary(sandbox)).toEqual(['DEL b', 'DEL a']);
    expect(readCalls(sandbox).every((c) => !('prevResult' in c.stdin))).toBe(true);
  });

  it('may run twice', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }]);
    await addNetworkList(list, runtimeConf(sandbox));
    await delNetworkList(list, runtimeConf(sandbox));
    await delNetworkList(list, runtimeConf(sandbox));
    expect(callSummary(sandbox)).toEqual(['ADD a', 'DEL a', 'DEL a']);
  });

  it('sends no prevResult for lists older than 0.4.0, and still removes the record', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', addIP: '10.0.0.2/24' }], { cniVersion: '0.3.1' });
    await addNetworkList(list, runtimeConf(sandbox));
    await delNetworkList(list, runtimeConf(sandbox));
    expect(readCalls(sandbox)[1]?.stdin).not.toHaveProperty('prevResult');
    expect(existsSync(cacheFile())).toBe(false);
  });

  it('drops an unreadable cache record and proceeds without prevResult', async () => {
    mkdirSync(resultsDir(sandbox.cacheDir), { recursive: true });
    writeFileSync(cacheFile(), 'garbage');
    const list = recorderList(sandbox, [{ tag: 'a' }]);
    await delNetworkList(list, runtimeConf(sandbox));
    expect(readCalls(sandbox)[0]?.stdin).not.toHaveProperty('prevResult');
    expect(existsSync(cacheFile())).toBe(false);
  });

  it('stops at the first failing plugin and keeps the cache record', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }, { tag: 'b', fail: { DEL: { code: 11, msg: 'locked' } } }]);
    await addNetworkList(list, runtimeConf(sandbox));
    const error = await delNetworkList(list, runtimeConf(sandbox)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11, message: 'plugin type="recorder" failed (delete): locked' });
    expect(callSummary(sandbox)).toEqual(['ADD a', 'ADD b', 'DEL b']);
    expect(existsSync(cacheFile())).toBe(true);
  });

  it('reports a missing plugin with code 50', async () => {
    const list = recorderList(sandbox, [{ type: 'gone' }]);
    await expect(delNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({ code: ErrorCode.PluginNotAvailable });
  });
});
