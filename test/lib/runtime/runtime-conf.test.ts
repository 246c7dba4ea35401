import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import {
  cacheDirOf,
  cacheKeyOf,
  DEFAULT_CACHE_DIR,
  NO_ATTACHMENT,
  pluginEnv,
  stringifyCniArgs,
  validateAttachment,
  type RuntimeConf,
} from '../../../lib/runtime/runtime-conf.js';

const rt: RuntimeConf = {
  containerId: 'abc123',
  netns: '/run/netns/x',
  ifname: 'eth0',
  args: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAME', 'web'],
  ],
  pluginDirs: ['/opt/cni/bin', '/usr/lib/cni'],
};

describe('stringifyCniArgs', () => {
  it('joins pairs as K=V;K=V', () => {
    expect(stringifyCniArgs(rt.args)).toBe('IgnoreUnknown=1;K8S_POD_NAME=web');
    expect(stringifyCniArgs([])).toBe('');
    expect(stringifyCniArgs()).toBe('');
  });
});

describe('pluginEnv', () => {
  it('sets every CNI_* variable over the base environment', () => {
    const env = pluginEnv('ADD', rt, { ...rt, env: { PATH: '/bin', CNI_NETNS: 'stale', OTHER: 'kept' } });
    expect(env).toEqual({
      PATH: '/bin',
      OTHER: 'kept',
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'abc123',
      CNI_NETNS: '/run/netns/x',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    });
  });

  it('sets empty attachment variables for network-wide commands', () => {
    const env = pluginEnv('GC', NO_ATTACHMENT, { pluginDirs: ['/p'], env: { CNI_CONTAINERID: 'inherited' } });
    expect(env).toMatchObject({ CNI_COMMAND: 'GC', CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_ARGS: '', CNI_PATH: '/p' });
  });

  it('inherits this process environment by default', () => {
    expect(pluginEnv('DEL', rt, rt).PATH).toBe(process.env.PATH);
  });
});

describe('cache locations', () => {
  it('defaults to /var/lib/cni', () => {
    expect(DEFAULT_CACHE_DIR).toBe('/var/lib/cni');
    expect(cacheDirOf({})).toBe('/var/lib/cni');
    expect(cacheDirOf({ cacheDir: '/tmp/c' })).toBe('/tmp/c');
  });

  it('keys an attachment by network, container and interface', () => {
    expect(cacheKeyOf('web', rt)).toEqual({ networkName: 'web', containerId: 'abc123', ifname: 'eth0' });
  });
});

describe('validateAttachment', () => {
  const codeOf = (r: Partial<RuntimeConf>, network = 'web') => {
    try {
      validateAttachment(network, { ...rt, ...r });
      return 0;
    } catch (e) {
      return (e as { code: number }).code;
    }
  };

  it('accepts a valid attachment', () => {
    expect(codeOf({})).toBe(0);
  });

  it('rejects a missing container ID with code 3 and a bad one with code 4', () => {
    expect(codeOf({ containerId: '' })).toBe(ErrorCode.UnknownContainer);
    expect(codeOf({ containerId: '../etc' })).toBe(ErrorCode.InvalidEnvironment);
  });

  it('rejects bad interface names with code 4', () => {
    for (const ifname of ['', 'a/b', 'x'.repeat(16), '..', 'a b']) expect(codeOf({ ifname })).toBe(ErrorCode.InvalidEnvironment);
  });

  it('rejects a bad network name with code 7', () => {
    expect(codeOf({}, 'a/b')).toBe(ErrorCode.InvalidNetworkConfig);
  });
});
