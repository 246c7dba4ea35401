import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { confListFromConf, loadConfListFile, parseConfList, parseSingleConf } from '../../../lib/runtime/conf.js';
import { makeSandbox, type Sandbox } from './helpers.js';

function errorOf(fn: () => unknown): { code?: number; message: string; details?: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: number; message: string; details?: string };
  }
  throw new Error('expected an error');
}

const twoPlugins = {
  cniVersion: '1.0.0',
  name: 'web',
  plugins: [{ type: 'zone', zone: 'web', capabilities: { portMappings: true, mac: false } }, { type: 'zone-ports' }],
};

describe('parseConfList', () => {
  it('reads name, version, flags and plugins', () => {
    const list = parseConfList(JSON.stringify(twoPlugins), 'web.conflist');
    expect(list.name).toBe('web');
    expect(list.cniVersion).toBe('1.0.0');
    expect(list.disableCheck).toBe(false);
    expect(list.disableGC).toBe(false);
    expect(list.source).toBe('web.conflist');
    expect(list.plugins.map((p) => p.type)).toEqual(['zone', 'zone-ports']);
    expect(list.plugins[0]?.capabilities).toEqual({ portMappings: true, mac: false });
    expect(list.plugins[1]?.capabilities).toEqual({});
  });

  it('keeps each plugin config exactly as written', () => {
    const list = parseConfList(JSON.stringify(twoPlugins));
    expect(list.plugins[0]?.conf).toEqual(twoPlugins.plugins[0]);
  });

  it('keeps the raw bytes of the list', () => {
    const text = '{ "cniVersion": "1.0.0",\n  "name": "web", "plugins": [ {"type": "zone"} ] }\n';
    expect(parseConfList(Buffer.from(text)).bytes.toString()).toBe(text);
    expect(parseConfList(text).bytes.equals(Buffer.from(text))).toBe(true);
  });

  it('picks the highest supported version from cniVersions', () => {
    const list = parseConfList(JSON.stringify({ ...twoPlugins, cniVersions: ['1.0.0', '1.1.0', '9.9.9'] }));
    expect(list.cniVersion).toBe('1.1.0');
  });

  it('reads disableCheck and disableGC as booleans or "true"/"false" strings', () => {
    expect(parseConfList(JSON.stringify({ ...twoPlugins, disableCheck: true, disableGC: 'TRUE' }))).toMatchObject({
      disableCheck: true,
      disableGC: true,
    });
    expect(parseConfList(JSON.stringify({ ...twoPlugins, disableCheck: 'false' })).disableCheck).toBe(false);
    expect(errorOf(() => parseConfList(JSON.stringify({ ...twoPlugins, disableGC: 'yes' }))).code).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('rejects bad JSON with code 6, naming the file', () => {
    const e = errorOf(() => parseConfList('{"name":', '/etc/cni/net.d/x.conflist'));
    expect(e.code).toBe(ErrorCode.DecodingFailure);
    expect(e.message).toContain('/etc/cni/net.d/x.conflist');
  });

  it('rejects JSON that is not an object with code 6', () => {
    expect(errorOf(() => parseConfList('[1]')).code).toBe(ErrorCode.DecodingFailure);
  });

  it('rejects a list without plugins with code 7, naming the file and the problem', () => {
    const e = errorOf(() => parseConfList(JSON.stringify({ ...twoPlugins, plugins: [] }), 'x.conflist'));
    expect(e.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(e.message).toMatch(/x\.conflist/);
    expect(e.message).toMatch(/plugins: no plugins in list/);
  });

  it('rejects a missing plugins key, a plugin without type and a missing name with code 7', () => {
    const { plugins: _, ...noPlugins } = twoPlugins;
    expect(errorOf(() => parseConfList(JSON.stringify(noPlugins))).code).toBe(ErrorCode.InvalidNetworkConfig);
    const e = errorOf(() => parseConfList(JSON.stringify({ ...twoPlugins, plugins: [{ type: 'a' }, { zone: 'x' }] })));
    expect(e.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(e.message).toMatch(/plugins\.1\.type/);
    const { name: __, ...noName } = twoPlugins;
    expect(errorOf(() => parseConfList(JSON.stringify(noName))).code).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('rejects capabilities that are not booleans with code 7', () => {
    const list = { ...twoPlugins, plugins: [{ type: 'a', capabilities: { portMappings: 'yes' } }] };
    expect(errorOf(() => parseConfList(JSON.stringify(list))).code).toBe(ErrorCode.InvalidNetworkConfig);
  });

  it('validates the network name', () => {
    for (const name of ['-web', 'web net', 'a/b', '', '.hidden']) {
      const e = errorOf(() => parseConfList(JSON.stringify({ ...twoPlugins, name })));
      expect(e.code).toBe(ErrorCode.InvalidNetworkConfig);
      expect(e.message).toContain('invalid network name');
    }
    for (const name of ['web', 'Web_1.2-x', '0net']) {
      expect(parseConfList(JSON.stringify({ ...twoPlugins, name })).name).toBe(name);
    }
  });

  it('rejects an unsupported version with code 1', () => {
    const old = JSON.stringify({ ...twoPlugins, cniVersion: '0.2.0' });
    expect(errorOf(() => parseConfList(old)).code).toBe(ErrorCode.IncompatibleVersion);
  });
});

describe('single-plugin configurations', () => {
  const single = { cniVersion: '0.4.0', name: 'old', type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local' } };

  it('parseSingleConf needs a type (code 7)', () => {
    expect(parseSingleConf(JSON.stringify(single))).toEqual(single);
    expect(errorOf(() => parseSingleConf('{"name":"x"}', 'x.conf')).code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(errorOf(() => parseSingleConf('nope', 'x.conf')).code).toBe(ErrorCode.DecodingFailure);
  });

  it('converts into a one-plugin list with the bytes libcni would build', () => {
    const list = confListFromConf(single, 'old.conf');
    expect(list).toMatchObject({ name: 'old', cniVersion: '0.4.0', disableCheck: false, disableGC: false, source: 'old.conf' });
    expect(list.plugins).toHaveLength(1);
    expect(list.plugins[0]?.conf).toEqual(single);
    expect(list.bytes.toString()).toBe(
      '{"cniVersion":"0.4.0","name":"old","plugins":[' +
        '{"bridge":"cni0","cniVersion":"0.4.0","ipam":{"type":"host-local"},"name":"old","type":"bridge"}]}',
    );
  });

  it('validates the converted list like any other', () => {
    expect(errorOf(() => confListFromConf({ type: 'bridge', name: 'x' })).code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(errorOf(() => confListFromConf({ type: 'bridge', cniVersion: '1.0.0' })).message).toContain('invalid network name');
  });
});

describe('loadConfListFile', () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox.remove());

  it('loads .conflist, .conf and .json files by extension', async () => {
    sandbox = makeSandbox('conf');
    writeFileSync(join(sandbox.dir, 'a.conflist'), JSON.stringify(twoPlugins));
    writeFileSync(join(sandbox.dir, 'b.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'b', type: 'zone' }));
    writeFileSync(join(sandbox.dir, 'c.json'), JSON.stringify({ cniVersion: '1.0.0', name: 'c', type: 'zone' }));
    expect((await loadConfListFile(join(sandbox.dir, 'a.conflist'))).name).toBe('web');
    expect((await loadConfListFile(join(sandbox.dir, 'b.conf'))).plugins[0]?.type).toBe('zone');
    expect((await loadConfListFile(join(sandbox.dir, 'c.json'))).name).toBe('c');
  });

  it('names the file in errors', async () => {
    sandbox = makeSandbox('conf');
    const file = join(sandbox.dir, 'bad.conflist');
    writeFileSync(file, JSON.stringify({ ...twoPlugins, plugins: 'no' }));
    await expect(loadConfListFile(file)).rejects.toMatchObject({
      code: ErrorCode.InvalidNetworkConfig,
      message: expect.stringContaining(file),
    });
  });

  it('reports a missing file as code 5 and an unknown extension as code 7', async () => {
    sandbox = makeSandbox('conf');
    await expect(loadConfListFile(join(sandbox.dir, 'none.conflist'))).rejects.toMatchObject({ code: ErrorCode.IoFailure });
    await expect(loadConfListFile(join(sandbox.dir, 'x.yaml'))).rejects.toMatchObject({ code: ErrorCode.InvalidNetworkConfig });
  });
});
