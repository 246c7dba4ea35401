import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePackageDir, runtimePackages } from '../../../../cli/zonectl/install/packages.js';
import { makeTestTempDir, repoRoot } from '../../../support/paths.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('install-packages');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function pkg(root: string, name: string, manifest: object = {}): void {
  mkdirSync(join(root, 'node_modules', name), { recursive: true });
  writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
}

describe('runtimePackages', () => {
  it('follows dependencies and installed optional ones, skipping build-time packages', () => {
    pkg(dir, 'koffi', { optionalDependencies: { '@k/linux-x64': '1', '@k/darwin-arm64': '1' } });
    pkg(dir, '@k/linux-x64');
    pkg(dir, 'some-addon', { dependencies: { 'node-gyp-build': '4', 'node-addon-api': '*', '@types/node': '12' } });
    pkg(dir, 'node-gyp-build');
    mkdirSync(join(dir, 'dist', 'bin'), { recursive: true });
    const found = runtimePackages(join(dir, 'dist', 'bin'), ['koffi', 'some-addon']);
    expect(found.map((p) => p.name)).toEqual(['@k/linux-x64', 'koffi', 'node-gyp-build', 'some-addon']);
    expect(found[1]).toEqual({ name: 'koffi', dir: join(dir, 'node_modules', 'koffi'), version: '1.0.0' });
  });

  it('prefers a dependency nested in its dependent', () => {
    pkg(dir, 'some-addon', { dependencies: { 'node-gyp-build': '4' } });
    pkg(join(dir, 'node_modules', 'some-addon'), 'node-gyp-build', { version: '4.9.0' });
    expect(resolvePackageDir('node-gyp-build', join(dir, 'node_modules', 'some-addon'))).toBe(
      join(dir, 'node_modules', 'some-addon', 'node_modules', 'node-gyp-build'),
    );
    expect(runtimePackages(dir, ['some-addon']).find((p) => p.name === 'node-gyp-build')?.version).toBe('4.9.0');
  });

  it('fails naming the fix when a required package is missing', () => {
    expect(() => runtimePackages(dir, ['czt-no-such-package'])).toThrow(/cannot find the npm package czt-no-such-package/);
  });

  it('finds the real native modules from dist/bin', () => {
    const names = runtimePackages(join(repoRoot, 'dist', 'bin')).map((p) => p.name);
    expect(names).toEqual(['@koromix/koffi-linux-x64', 'koffi']);
    expect(names).not.toContain('node-addon-api');
  });
});
