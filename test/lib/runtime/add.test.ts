import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { addNetworkList } from '../../../lib/runtime/add.js';
import { cacheFilePath, writeCacheEntry } from '../../../lib/runtime/cache.js';
import { decodeCacheEntry, encodeCacheEntry } from '../../../lib/runtime/cache-format.js';
import {
  callSummary,
  failureOf,
  fixturePluginDir,
  makeSandbox,
  PROCESS_TEST_TIMEOUT_MS,
  readCalls,
  recorderList,
  runtimeConf,
  type Sandbox,
} from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('add');
});
afterEach(() => sandbox.remove());

const key = { networkName: 'testnet', containerId: 'c0ffee', ifname: 'eth0' };

describe('addNetworkList', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('runs every plugin in order, each given the previous result, and returns the last result', async () => {
    const list = recorderList(sandbox, [
      { tag: 'main', addIP: '10.89.0.5/24' },
      { tag: 'chained', addInterface: 'vz-web' },
    ]);
    const result = await addNetworkList(list, runtimeConf(sandbox));

    expect(result).toEqual({
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'eth0', sandbox: '/run/netns/test' },
        { name: 'vz-web', sandbox: '/run/netns/test' },
      ],
      ips: [{ address: '10.89.0.5/24', interface: 0 }],
    });
    const calls = readCalls(sandbox);
    expect(calls.map((c) => [c.command, c.stdin.tag])).toEqual([
      ['ADD', 'main'],
      ['ADD', 'chained'],
    ]);
    expect(calls[0]?.stdin).not.toHaveProperty('prevResult');
    expect(calls[1]?.stdin.prevResult).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/test' }],
      ips: [{ address: '10.89.0.5/24', interface: 0 }],
    });
  });

  it('sets the CNI_* environment of every plugin from the runtime conf', async () => {
    const list = recorderList(sandbox, [{}, {}]);
    const rt = runtimeConf(sandbox, {
      args: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAME', 'web'],
      ],
      pluginDirs: ['/nonexistent', fixturePluginDir],
    });
    await addNetworkList(list, rt);
    for (const call of readCalls(sandbox)) {
      expect(call.env).toEqual({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'c0ffee',
        CNI_NETNS: '/run/netns/test',
        CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
        CNI_IFNAME: 'eth0',
        CNI_PATH: `/nonexistent:${fixturePluginDir}`,
      });
    }
  });

  it("injects the list's name and version, and runtimeConfig from the declared capabilities only", async () => {
    const list = recorderList(
      sandbox,
      [{ name: 'own', cniVersion: '0.3.1', capabilities: { portMappings: true, mac: false } }, { capabilities: { mac: true } }],
      { cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'] },
    );
    const capabilityArgs = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], mac: 'c2:00:00:00:00:01' };
    await addNetworkList(list, runtimeConf(sandbox, { capabilityArgs }));
    const [first, second] = readCalls(sandbox).map((c) => c.stdin);
    expect(first).toMatchObject({ name: 'testnet', cniVersion: '1.1.0', runtimeConfig: { portMappings: capabilityArgs.portMappings } });
    expect(first).not.toHaveProperty('capabilities');
    expect(second).toMatchObject({ runtimeConfig: { mac: 'c2:00:00:00:00:01' } });
    expect(second).not.toHaveProperty('capabilities');
  });

  it("converts each result to the list's version before handing it on", async () => {
    const list = recorderList(sandbox, [{ addIP: '10.0.0.2/24', resultVersion: '1.1.0' }, {}], { cniVersion: '0.4.0' });
    const result = await addNetworkList(list, runtimeConf(sandbox));
    const prev = readCalls(sandbox)[1]?.stdin.prevResult as { cniVersion: string; ips: unknown[] };
    expect(prev.cniVersion).toBe('0.4.0');
    expect(prev.ips[0]).toEqual({ version: '4', address: '10.0.0.2/24', interface: 0 });
    expect(result.cniVersion).toBe('0.4.0');
  });

  it('writes the result cache in libcni format', async () => {
    const list = recorderList(sandbox, [{ addIP: '10.0.0.2/24' }]);
    const rt = runtimeConf(sandbox, { args: [['K8S_POD_NAME', 'web']], capabilityArgs: { portMappings: [] } });
    const result = await addNetworkList(list, rt);
    const file = cacheFilePath(sandbox.cacheDir, key);
    expect(file).toBe(`${sandbox.cacheDir}/results/testnet-c0ffee-eth0`);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(
      encodeCacheEntry({
        ...key,
        config: list.bytes,
        netns: '/run/netns/test',
        cniArgs: [['K8S_POD_NAME', 'web']],
        capabilityArgs: { portMappings: [] },
        result: {
          cniVersion: '1.1.0',
          interfaces: [{ name: 'eth0', sandbox: '/run/netns/test' }],
          ips: [{ address: '10.0.0.2/24', interface: 0 }],
        },
      }),
    );
    expect(Buffer.from(JSON.parse(text).config, 'base64').equals(list.bytes)).toBe(true);
    expect(decodeCacheEntry(text)?.result).toEqual({ ...result });
  });

  describe('on failure', () => {
    it('rolls back with DEL of the whole chain in reverse, the failed plugin included, and throws the first error', async () => {
      const fail = { ADD: { code: 7, msg: 'bad config', details: 'zone too long' } };
      const list = recorderList(sandbox, [{ tag: 'a' }, { tag: 'b', fail }, { tag: 'c' }]);
      const error = await failureOf(addNetworkList(list, runtimeConf(sandbox)));
      expect(error).toMatchObject({ code: 7, message: 'plugin type="recorder" failed (add): bad config' });
      expect(error.details).toMatch(/^zone too long\nrolled back/);
      expect(callSummary(sandbox)).toEqual(['ADD a', 'ADD b', 'DEL c', 'DEL b', 'DEL a']);
      expect(
        readCalls(sandbox)
          .filter((c) => c.command === 'DEL')
          .every((c) => !('prevResult' in c.stdin)),
      ).toBe(true);
      expect(existsSync(cacheFilePath(sandbox.cacheDir, key))).toBe(false);
    });

    it('rolls back the failed first plugin too', async () => {
      const list = recorderList(sandbox, [{ tag: 'a', fail: { ADD: { code: 11, msg: 'busy' } } }, { tag: 'b' }]);
      await expect(addNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({ code: 11 });
      expect(callSummary(sandbox)).toEqual(['ADD a', 'DEL b', 'DEL a']);
    });

    it('continues the rollback past failing DELs and lists them in the details', async () => {
      const list = recorderList(sandbox, [
        { tag: 'a', fail: { DEL: { code: 5, msg: 'cannot release' } } },
        { tag: 'b', fail: { ADD: { code: 7, msg: 'no' }, DEL: { code: 11, msg: 'locked' } } },
      ]);
      const error = await failureOf(addNetworkList(list, runtimeConf(sandbox)));
      expect(error.code).toBe(7);
      expect(error.details).toContain('rollback: DEL of plugin type="recorder" failed: locked');
      expect(error.details).toContain('rollback: DEL of plugin type="recorder" failed: cannot release');
      expect(callSummary(sandbox)).toEqual(['ADD a', 'ADD b', 'DEL b', 'DEL a']);
    });

    it('removes a cache record left by an earlier ADD once the rollback succeeded', async () => {
      await writeCacheEntry(sandbox.cacheDir, { ...key, config: Buffer.from('{}'), result: { cniVersion: '1.1.0' } });
      const list = recorderList(sandbox, [{ fail: { ADD: { code: 7, msg: 'no' } } }]);
      await expect(addNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({ code: 7 });
      expect(existsSync(cacheFilePath(sandbox.cacheDir, key))).toBe(false);
    });

    it('reports a missing plugin with code 50 and rolls back what ran', async () => {
      const list = recorderList(sandbox, [{ tag: 'a' }, { type: 'no-such-plugin' }]);
      const error = await failureOf(addNetworkList(list, runtimeConf(sandbox)));
      expect(error.code).toBe(ErrorCode.PluginNotAvailable);
      expect(error.message).toBe(
        `plugin type="no-such-plugin" failed (add): failed to find plugin "no-such-plugin" in path [${fixturePluginDir}]`,
      );
      expect(error.details).toContain('rollback: DEL of plugin type="no-such-plugin" failed: failed to find plugin');
      expect(callSummary(sandbox)).toEqual(['ADD a', 'DEL a']);
    });

    it('reports a plugin that outlives its timeout with code 101 and rolls back', async () => {
      const list = recorderList(sandbox, [{ tag: 'slow', sleepMs: { ADD: 30_000 } }]);
      const error = await failureOf(addNetworkList(list, runtimeConf(sandbox, { timeoutMs: 1500 })));
      expect(error.code).toBe(ErrorCode.PluginTimeout);
      expect(error.message).toMatch(/^plugin type="recorder" failed \(add\): plugin .*recorder timed out after 1500 ms$/);
      expect(readCalls(sandbox).map((c) => c.command)).toEqual(['ADD', 'DEL']);
    });

    it('rejects a result that is not JSON with code 6', async () => {
      const list = recorderList(sandbox, [{ rawOutput: { ADD: 'all good!' } }]);
      await expect(addNetworkList(list, runtimeConf(sandbox))).rejects.toMatchObject({ code: ErrorCode.DecodingFailure });
    });

    it('rejects an invalid attachment before running anything', async () => {
      const list = recorderList(sandbox, [{}]);
      const badContainer = await failureOf(addNetworkList(list, runtimeConf(sandbox, { containerId: '../x' })));
      const badInterface = await failureOf(addNetworkList(list, runtimeConf(sandbox, { ifname: 'a/b' })));
      expect([badContainer.code, badInterface.code]).toEqual([ErrorCode.InvalidEnvironment, ErrorCode.InvalidEnvironment]);
      expect(readCalls(sandbox)).toEqual([]);
    });
  });
});
