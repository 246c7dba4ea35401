import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../lib/cni/errors.js';
import { parseConfList, type PluginConfig } from '../../../lib/runtime/conf.js';
import { decodeResult, describePlugin, pluginFailed, runPlugin, withDetails } from '../../../lib/runtime/invoke.js';
import { NO_ATTACHMENT } from '../../../lib/runtime/runtime-conf.js';
import { fixturePluginDir, makeSandbox, pluginTestEnv, PROCESS_TEST_TIMEOUT_MS, readCalls, recorderList, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('invoke');
});
afterEach(() => sandbox.remove());

const options = () => ({ pluginDirs: [fixturePluginDir], env: pluginTestEnv(), timeoutMs: 20_000 });

function plugin(conf: Record<string, unknown>): PluginConfig {
  return recorderList(sandbox, [conf]).plugins[0]!;
}

describe('describePlugin', () => {
  it('names the type, and the name when the plugin has one', () => {
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b","name":"x"}]}');
    expect(list.plugins.map(describePlugin)).toEqual(['type="a"', 'type="b" name="x"']);
  });
});

describe('runPlugin', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('runs the plugin with the command, the attachment environment and stdin', async () => {
    const p = plugin({});
    const stdin = JSON.stringify({ ...p.conf, cniVersion: '1.0.0', name: 'n' });
    const attachment = { containerId: 'abc', netns: '/run/netns/x', ifname: 'eth0', args: [['A', '1']] as [string, string][] };
    const out = await runPlugin(p, 'ADD', stdin, attachment, options());
    expect(JSON.parse(out)).toMatchObject({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }] });
    const [call] = readCalls(sandbox);
    expect(call?.command).toBe('ADD');
    expect(call?.env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'abc',
      CNI_NETNS: '/run/netns/x',
      CNI_ARGS: 'A=1',
      CNI_IFNAME: 'eth0',
      CNI_PATH: fixturePluginDir,
    });
  });

  it('fails with code 50 naming the plugin and the path when the plugin is missing', async () => {
    const p = { ...plugin({}), type: 'no-such-plugin' };
    const error = await runPlugin(p, 'ADD', '{}', NO_ATTACHMENT, options()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.PluginNotAvailable });
    expect((error as Error).message).toBe(`failed to find plugin "no-such-plugin" in path [${fixturePluginDir}]`);
  });

  it('fails with code 101 when the plugin outlives its timeout', async () => {
    const p = plugin({ sleepMs: { STATUS: 30_000 } });
    const started = Date.now();
    const error = await runPlugin(p, 'STATUS', JSON.stringify(p.conf), NO_ATTACHMENT, { ...options(), timeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toMatchObject({ code: ErrorCode.PluginTimeout });
    expect((error as Error).message).toMatch(/recorder timed out after 500 ms/);
  });

  it("passes on the plugin's CNI error", async () => {
    const p = plugin({ fail: { DEL: { code: 11, msg: 'busy', details: 'try later' } } });
    await expect(runPlugin(p, 'DEL', JSON.stringify(p.conf), NO_ATTACHMENT, options())).rejects.toMatchObject({
      code: 11,
      message: 'busy',
      details: 'try later',
    });
  });
});

describe('decodeResult', () => {
  const p = { type: 'x', capabilities: {}, conf: {} };

  it('parses a result, defaulting its version to the config version', () => {
    expect(decodeResult('{"ips":[{"address":"10.0.0.2/24"}]}', p, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.0.0.2/24' }],
    });
  });

  it('rejects output that is not JSON with code 6, naming the plugin', () => {
    expect(() => decodeResult('hello', p, '1.0.0')).toThrow(/result of plugin type="x"/);
    try {
      decodeResult('hello', p, '1.0.0');
    } catch (e) {
      expect((e as CniError).code).toBe(ErrorCode.DecodingFailure);
    }
  });
});

describe('pluginFailed and withDetails', () => {
  it('keeps code and details and says which plugin failed doing what', () => {
    const e = pluginFailed({ type: 'zone', capabilities: {}, conf: {} }, 'add', new CniError(7, 'bad zone', 'zone too long'));
    expect(e).toMatchObject({ code: 7, message: 'plugin type="zone" failed (add): bad zone', details: 'zone too long' });
    expect(withDetails(e, 'more').details).toBe('zone too long\nmore');
    expect(withDetails(new CniError(7, 'x'), 'more').details).toBe('more');
  });

  it('turns unexpected errors into code 100', () => {
    expect(pluginFailed({ type: 'zone', capabilities: {}, conf: {} }, 'del', new Error('boom')).code).toBe(ErrorCode.Internal);
  });
});
