import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  claimsCapability,
  claimsVersion,
  defaultVersion,
  loadProfile,
  parseProfile,
  ProfileError,
  substituteStateDir,
} from '../../conformance/profile.js';

const valid = {
  name: 'demo',
  pluginDirs: ['../bin'],
  conflist: {
    cniVersion: '1.0.0',
    name: 'net',
    plugins: [{ type: 'bridge', ipam: { type: 'host-local', dataDir: '{{stateDir}}/ipam' }, capabilities: { ips: true } }],
  },
  claims: { versions: ['1.0.0', '0.4.0'], capabilities: ['ips'] },
  capabilityArgs: { ips: ['10.0.0.5/24'] },
};

describe('parseProfile', () => {
  it('fills defaults, sorts the claimed versions and resolves plugin directories', () => {
    const p = parseProfile(valid, 'demo.json', '/etc/profiles');
    expect(p).toMatchObject({ name: 'demo', title: 'demo', ifname: 'eth0', pluginDirs: ['/etc/bin'], expectedFailures: {}, notes: [] });
    expect(p.claims.versions).toEqual(['0.4.0', '1.0.0']);
    expect(defaultVersion(p)).toBe('1.0.0');
    expect(claimsVersion(p, '0.4.0')).toBe(true);
    expect(claimsVersion(p, '1.1.0')).toBe(false);
    expect(claimsCapability(p, 'ips')).toBe(true);
    expect(claimsCapability(p, 'mac')).toBe(false);
  });

  it('requires capability arguments for every claimed capability', () => {
    expect(() => parseProfile({ ...valid, capabilityArgs: {} }, 'demo.json', '/')).toThrow(/capabilityArgs: ips/);
  });

  it('rejects unknown versions, capabilities and a broken conflist', () => {
    expect(() => parseProfile({ ...valid, claims: { versions: ['0.2.0'] } }, 'x', '/')).toThrow(ProfileError);
    expect(() => parseProfile({ ...valid, claims: { versions: ['1.0.0'], capabilities: ['bandwidth'] } }, 'x', '/')).toThrow(ProfileError);
    expect(() => parseProfile({ ...valid, conflist: { name: 'net', cniVersion: '1.0.0', plugins: [] } }, 'x', '/')).toThrow(/no plugins/);
    expect(() => parseProfile({ ...valid, capabilityArgs: { ips: ['x'], mac: 'not-a-mac' } }, 'x', '/')).toThrow(/MAC/);
  });
});

describe('substituteStateDir', () => {
  it('replaces the placeholder in every nested string and leaves the rest', () => {
    const out = substituteStateDir({ a: '{{stateDir}}/x', b: [1, '{{stateDir}}', { c: 'keep' }], d: true }, '/tmp/s');
    expect(out).toEqual({ a: '/tmp/s/x', b: [1, '/tmp/s', { c: 'keep' }], d: true });
  });
});

describe('loadProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profile-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, taking plugin directories relative to it unless overridden', async () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(valid));
    expect((await loadProfile(file)).pluginDirs).toEqual([resolve(dir, '..', 'bin')]);
    expect((await loadProfile(file, { pluginDirs: ['/opt/cni/bin'] })).pluginDirs).toEqual(['/opt/cni/bin']);
  });

  it('names the file when it is not JSON', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{');
    await expect(loadProfile(file)).rejects.toThrow(new RegExp(`^${file}: `));
  });

  it('accepts the shipped profiles', async () => {
    for (const name of ['cni-zones', 'reference']) {
      const p = await loadProfile(fileURLToPath(new URL(`../../conformance/profiles/${name}.json`, import.meta.url)));
      expect(p.name).toBe(name);
      expect(p.claims.capabilities.sort()).toEqual(['ips', 'mac', 'portMappings']);
    }
  });
});
