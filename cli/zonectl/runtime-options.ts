// The options every command that acts as a CNI runtime shares: where conflists, plugins and
// the result cache are. They also travel into generated drop-ins, so the hooks a unit runs
// see what `zonectl nspawn enable` was given.
import { DEFAULT_CACHE_DIR, DEFAULT_CONF_DIR, DEFAULT_PLUGIN_DIRS, type RuntimePaths } from '../../lib/nspawn/runtime-paths.js';
import { resolve } from 'node:path';
import type { OptionSpec, ParsedArgs } from './args.js';

export const runtimeOptions: OptionSpec[] = [
  {
    name: 'conf-dir',
    kind: 'string',
    value: 'DIR',
    description: 'where network configurations (*.conflist) are',
    defaultText: DEFAULT_CONF_DIR,
  },
  {
    name: 'cni-path',
    kind: 'string',
    value: 'DIRS',
    description: 'plugin directories, ":"-separated',
    defaultText: DEFAULT_PLUGIN_DIRS.join(':'),
  },
  {
    name: 'cache-dir',
    kind: 'string',
    value: 'DIR',
    description: 'result cache (libcni layout, shared with cnitool and podman)',
    defaultText: DEFAULT_CACHE_DIR,
  },
];

/** Paths as given, made absolute: they end up in cache records and in drop-ins run from elsewhere. */
export function runtimePathsFrom(args: ParsedArgs): RuntimePaths {
  const cniPath = args.string('cni-path');
  return {
    confDir: resolve(args.string('conf-dir') ?? DEFAULT_CONF_DIR),
    pluginDirs:
      cniPath === undefined
        ? [...DEFAULT_PLUGIN_DIRS]
        : cniPath
            .split(':')
            .filter(Boolean)
            .map((dir) => resolve(dir)),
    cacheDir: resolve(args.string('cache-dir') ?? DEFAULT_CACHE_DIR),
  };
}

/** The options that reproduce `paths` on another zonectl command line (defaults left out). */
export function runtimeArgv(paths: RuntimePaths): string[] {
  const argv: string[] = [];
  if (paths.confDir !== DEFAULT_CONF_DIR) argv.push('--conf-dir', paths.confDir);
  if (paths.pluginDirs.join(':') !== DEFAULT_PLUGIN_DIRS.join(':')) argv.push('--cni-path', paths.pluginDirs.join(':'));
  if (paths.cacheDir !== DEFAULT_CACHE_DIR) argv.push('--cache-dir', paths.cacheDir);
  return argv;
}
