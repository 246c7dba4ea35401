import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { addNetworkList } from '../../../lib/runtime/add.js';
import { checkNetworkList } from '../../../lib/runtime/check.js';
import { makeSandbox, PROCESS_TEST_TIMEOUT_MS, readCalls, recorderList, runtimeConf, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('check');
});
afterEach(() => sandbox.remove());

describe('checkNetworkList', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('runs every plugin in order with the cached result as prevResult', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', addIP: '10.0.0.2/24', capabilities: { mac: true } }, { tag: 'b' }]);
    const rt = runtimeConf(sandbox, { capabilityArgs: { mac: 'c2:00:00:00:00:01' } });
    const added = await addNetworkList(list, rt);
    await checkNetworkList(list, rt);
    const checks = readCalls(sandbox).filter((c) => c.command === 'CHECK');
    expect(checks.map((c) => c.stdin.tag)).toEqual(['a', 'b']);
    for (const call of checks) expect(call.stdin.prevResult).toEqual({ ...added });
    expect(checks[0]?.stdin.runtimeConfig).toEqual({ mac: 'c2:00:00:00:00:01' });
    expect(checks[0]?.env).toMatchObject({ CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'c0ffee', CNI_IFNAME: 'eth0' });
  });

  it('fails with code 3 when nothing is cached for the attachment', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }]);
    await expect(checkNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({
      code: ErrorCode.UnknownContainer,
      message: 'no cached result for container "c0ffee" interface "eth0" in network "testnet"',
    });
    expect(readCalls(sandbox)).toEqual([]);
  });

  it('is not available for lists older than 0.4.0 (code 1)', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }], { cniVersion: '0.3.1' });
    await expect(checkNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({
      code: ErrorCode.IncompatibleVersion,
      message: 'configuration version "0.3.1" does not support the CHECK command',
    });
  });

  it('does nothing when the list sets disableCheck', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }], { disableCheck: true });
    await checkNetworkList(list, runtimeConf(sandbox));
    expect(readCalls(sandbox)).toEqual([]);
  });

  it('stops at the first failing plugin and passes on its code', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', fail: { CHECK: { code: 51, msg: 'degraded' } } }, { tag: 'b' }]);
    await addNetworkList(list, runtimeConf(sandbox));
    await expect(checkNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({
      code: 51,
      message: 'plugin type="recorder" failed (check): degraded',
    });
    expect(
      readCalls(sandbox)
        .filter((c) => c.command === 'CHECK')
        .map((c) => c.stdin.tag),
    ).toEqual(['a']);
  });
});
