// Plugins run in the case's private "host" namespace, as a runtime runs them in its own
// networking domain (SPEC.md section 2, Overview). Each plugin gets a two-line shim that
// enters the namespace and execs the real executable; CNI_PATH points at the shims, so
// lib/runtime finds them like any plugin, and delegation (bridge → host-local) works too.
import { readdir, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { accessSync, constants } from 'node:fs';
import { nsenterPrefix } from './netns.js';
import { requireExecutable } from '../lib/system/programs.js';
import { pluginTypeProblem } from '../lib/names/index.js';

/** `'text'` for sh, whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function shimScript(nsenter: string, netnsPath: string, executable: string): string {
  const command = [nsenter, ...nsenterPrefix(netnsPath), executable].map(shellQuote).join(' ');
  return `#!/bin/sh\nexec ${command} "$@"\n`;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Executables of the plugin directories by name; the first directory holding a name wins, as in CNI_PATH. */
export async function listPlugins(pluginDirs: readonly string[]): Promise<Map<string, string>> {
  const plugins = new Map<string, string>();
  for (const dir of pluginDirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      throw new Error(`cannot read plugin directory ${dir}: ${(e as Error).message}`);
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      if (plugins.has(name) || pluginTypeProblem(name) !== undefined) continue;
      if ((await stat(path)).isFile() && isExecutableFile(path)) plugins.set(name, path);
    }
  }
  return plugins;
}

/** Write one shim per plugin into `binDir`; returns the plugin names. */
export async function writeShims(binDir: string, plugins: ReadonlyMap<string, string>, netnsPath: string): Promise<string[]> {
  const nsenter = requireExecutable('nsenter');
  for (const [name, executable] of plugins) {
    const shim = join(binDir, name);
    await writeFile(shim, shimScript(nsenter, netnsPath, executable), { mode: 0o755 });
    await chmod(shim, 0o755);
  }
  return [...plugins.keys()];
}
