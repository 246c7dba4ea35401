import { describe, expect, it } from 'vitest';
import { CaseContext, pluginBaseEnv } from '../../conformance/context.js';
import { parseProfile } from '../../conformance/profile.js';
import type { Sandbox } from '../../conformance/sandbox.js';

describe('pluginBaseEnv', () => {
  it("drops stale CNI_* and Node's CA bundle, keeps the rest", () => {
    expect(pluginBaseEnv({ PATH: '/bin', CNI_COMMAND: 'ADD', NODE_EXTRA_CA_CERTS: '/x.pem', HOME: '/root' })).toEqual({
      PATH: '/bin',
      HOME: '/root',
    });
  });
});

describe('CaseContext', () => {
  const profile = parseProfile(
    {
      name: 'p',
      pluginDirs: ['/x'],
      conflist: {
        cniVersion: '1.1.0',
        cniVersions: ['1.0.0', '1.1.0'],
        name: 'net',
        plugins: [
          { type: 'bridge', ipam: { type: 'host-local', dataDir: '{{stateDir}}/ipam' }, capabilities: { mac: true } },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      claims: { versions: ['0.4.0', '1.0.0'], capabilities: ['mac'] },
      capabilityArgs: { mac: '02:00:00:00:00:01' },
    },
    'p.json',
    '/',
  );
  const sandbox = { stateDir: '/s/state', cacheDir: '/s/cache', pluginDirs: ['/s/bin'] } as Sandbox;
  const ctx = new CaseContext(profile, sandbox, { timeoutMs: 1000, available: new Set(['bridge', 'portmap', 'host-local']) });
  const att = { containerId: 'c1', ifname: 'eth0', netns: { name: 'n', path: '/run/netns/n' } };

  it('pins the network to the newest claimed version, in the sandbox', () => {
    const list = ctx.network();
    expect(list.cniVersion).toBe('1.0.0');
    expect((list.plugins[0]!.conf.ipam as { dataDir: string }).dataDir).toBe('/s/state/ipam');
    expect(ctx.network('0.4.0').cniVersion).toBe('0.4.0');
  });

  it('lists the chain, then delegates that exist', () => {
    expect(ctx.targets()).toEqual([
      { type: 'bridge', index: 0, delegated: false },
      { type: 'portmap', index: 1, delegated: false },
      { type: 'host-local', index: 0, delegated: true },
    ]);
  });

  it('builds the stdin a runtime sends, runtimeConfig only for declared capabilities', () => {
    const stdin = JSON.parse(
      ctx.attachmentStdin(
        { type: 'bridge', index: 0, delegated: false },
        { capabilityArgs: { mac: '02:00:00:00:00:01', portMappings: [] } },
      ),
    );
    expect(stdin).toMatchObject({ name: 'net', cniVersion: '1.0.0', type: 'bridge', runtimeConfig: { mac: '02:00:00:00:00:01' } });
    expect(stdin.capabilities).toBeUndefined();
    const gc = JSON.parse(ctx.networkStdin({ type: 'portmap', index: 1, delegated: false }, '1.0.0', { 'cni.dev/valid-attachments': [] }));
    expect(gc).toMatchObject({ type: 'portmap', 'cni.dev/valid-attachments': [] });
  });

  it('sets every CNI_* variable as libcni does, and the runtime configuration', () => {
    expect(ctx.cniEnv('ADD', att)).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/n',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: '',
      CNI_PATH: '/s/bin',
    });
    expect(ctx.cniEnv('STATUS', undefined)).toMatchObject({ CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' });
    expect(ctx.runtimeConf(att, { mac: 'x' })).toMatchObject({
      containerId: 'c1',
      netns: '/run/netns/n',
      cacheDir: '/s/cache',
      pluginDirs: ['/s/bin'],
      capabilityArgs: { mac: 'x' },
    });
  });
});
