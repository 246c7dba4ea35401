import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../cli/zonectl/args.js';
import { runtimeArgv, runtimeOptions, runtimePathsFrom } from '../../../cli/zonectl/runtime-options.js';

const spec = { name: 'x', summary: '', positionals: [], options: runtimeOptions };

describe('runtime options', () => {
  it("default to libcni's places", () => {
    const paths = runtimePathsFrom(parseArgs(spec, []));
    expect(paths).toEqual({ confDir: '/etc/cni/net.d', pluginDirs: ['/opt/cni/bin', '/usr/lib/cni'], cacheDir: '/var/lib/cni' });
    expect(runtimeArgv(paths)).toEqual([]);
  });

  it('are made absolute and passed on', () => {
    const paths = runtimePathsFrom(parseArgs(spec, ['--conf-dir', 'net.d', '--cni-path', '/a::b', '--cache-dir', '/c']));
    expect(paths).toEqual({ confDir: `${process.cwd()}/net.d`, pluginDirs: ['/a', `${process.cwd()}/b`], cacheDir: '/c' });
    expect(runtimeArgv(paths)).toEqual([
      '--conf-dir',
      `${process.cwd()}/net.d`,
      '--cni-path',
      `/a:${process.cwd()}/b`,
      '--cache-dir',
      '/c',
    ]);
  });
});
