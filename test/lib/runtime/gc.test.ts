import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addNetworkList } from '../../../lib/runtime/add.js';
import { cachedAttachments, cacheFilePath } from '../../../lib/runtime/cache.js';
import { gcNetworkList } from '../../../lib/runtime/gc.js';
import {
  failureOf,
  fixturePluginDir,
  makeSandbox,
  pluginTestEnv,
  PROCESS_TEST_TIMEOUT_MS,
  readCalls,
  recorderList,
  runtimeConf,
  type Sandbox,
} from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('gc');
});
afterEach(() => sandbox.remove());

const options = () => ({ pluginDirs: [fixturePluginDir], env: pluginTestEnv(), timeoutMs: 20_000, cacheDir: sandbox.cacheDir });
const valid = [
  { network: 'testnet', containerId: 'c1', ifname: 'eth0' },
  { network: 'testnet', containerId: 'c2', ifname: 'net1' },
];

describe('gcNetworkList', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('runs GC on every plugin with the valid attachments under both keys', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', capabilities: { mac: true } }, { tag: 'b' }]);
    await gcNetworkList(list, valid, options());
    const calls = readCalls(sandbox);
    expect(calls.map((c) => `${c.command} ${String(c.stdin.tag)}`)).toEqual(['GC a', 'GC b']);
    // On the wire as the spec spells it: containerID, no network.
    const wire = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
    for (const call of calls) {
      expect(call.stdin['cni.dev/valid-attachments']).toEqual(wire);
      expect(call.stdin['cni.dev/attachments']).toEqual(wire);
      expect(call.stdin).toMatchObject({ name: 'testnet', cniVersion: '1.1.0' });
      expect(call.env).toMatchObject({
        CNI_COMMAND: 'GC',
        CNI_CONTAINERID: '',
        CNI_IFNAME: '',
        CNI_NETNS: '',
        CNI_PATH: fixturePluginDir,
      });
    }
  });

  it('does nothing when the list sets disableGC', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }], { disableGC: true });
    await addNetworkList(list, runtimeConf(sandbox, { containerId: 'stale' }));
    await gcNetworkList(list, [], options());
    expect(readCalls(sandbox).map((c) => c.command)).toEqual(['ADD']);
  });

  it('runs no plugin GC for lists older than 1.1.0', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }], { cniVersion: '1.0.0' });
    await gcNetworkList(list, valid, options());
    expect(readCalls(sandbox)).toEqual([]);
  });

  it('first deletes cached attachments of this network that are not valid, with their cached parameters', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', capabilities: { mac: true } }]);
    const other = recorderList(sandbox, [{ tag: 'other' }], { name: 'othernet' });
    await addNetworkList(list, runtimeConf(sandbox, { containerId: 'c1' }));
    await addNetworkList(
      list,
      runtimeConf(sandbox, {
        containerId: 'gone',
        netns: '/run/netns/gone',
        args: [['K', 'V']],
        capabilityArgs: { mac: 'c2:00:00:00:00:09' },
      }),
    );
    await addNetworkList(other, runtimeConf(sandbox, { containerId: 'gone' }));

    await gcNetworkList(list, [{ network: 'testnet', containerId: 'c1', ifname: 'eth0' }], options());
    const calls = readCalls(sandbox).slice(3);
    expect(calls.map((c) => `${c.command} ${String(c.stdin.tag)}`)).toEqual(['DEL a', 'GC a']);
    expect(calls[0]?.env).toMatchObject({ CNI_CONTAINERID: 'gone', CNI_NETNS: '/run/netns/gone', CNI_ARGS: 'K=V', CNI_IFNAME: 'eth0' });
    expect(calls[0]?.stdin.runtimeConfig).toEqual({ mac: 'c2:00:00:00:00:09' });
    expect(calls[0]?.stdin.prevResult).toMatchObject({ interfaces: [{ name: 'eth0', sandbox: '/run/netns/gone' }] });
    expect(await cachedAttachments(sandbox.cacheDir, 'testnet')).toEqual([{ network: 'testnet', containerId: 'c1', ifname: 'eth0' }]);
    expect(existsSync(cacheFilePath(sandbox.cacheDir, { networkName: 'othernet', containerId: 'gone', ifname: 'eth0' }))).toBe(true);
  });

  it('keeps what the cache knows when given the attachments derived from it', async () => {
    const list = recorderList(sandbox, [{ tag: 'a' }]);
    await addNetworkList(list, runtimeConf(sandbox, { containerId: 'c1' }));
    const fromCache = await cachedAttachments(sandbox.cacheDir, 'testnet');
    await gcNetworkList(list, fromCache, options());
    const calls = readCalls(sandbox);
    expect(calls.map((c) => c.command)).toEqual(['ADD', 'GC']);
    expect(calls[1]?.stdin['cni.dev/valid-attachments']).toEqual([{ containerID: 'c1', ifname: 'eth0' }]);
  });

  it('continues past failures and reports them together', async () => {
    const list = recorderList(sandbox, [
      { tag: 'a', fail: { GC: { code: 11, msg: 'store locked' } } },
      { tag: 'b' },
      { tag: 'c', fail: { GC: { code: 5, msg: 'nft failed' } } },
    ]);
    const error = await failureOf(gcNetworkList(list, [], options()));
    expect(readCalls(sandbox).map((c) => c.stdin.tag)).toEqual(['a', 'b', 'c']);
    expect(error.code).toBe(11);
    expect(error.message).toBe('GC of network "testnet": 2 steps failed');
    expect(error.details).toContain('plugin type="recorder" failed (gc): store locked');
    expect(error.details).toContain('plugin type="recorder" failed (gc): nft failed');
  });

  it('passes on a single failure as it is', async () => {
    const list = recorderList(sandbox, [{ tag: 'a', fail: { GC: { code: 11, msg: 'store locked' } } }]);
    await expect(gcNetworkList(list, [], options())).rejects.toMatchObject({
      code: 11,
      message: 'plugin type="recorder" failed (gc): store locked',
    });
  });
});
