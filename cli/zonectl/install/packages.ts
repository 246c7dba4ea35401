// The npm packages the Node bundles load at run time: the native addon esbuild leaves external
// (koffi) and what it requires in turn (its per-platform prebuild), found the way Node resolves
// them: node_modules directories upward. The compiled executable needs none.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CommandError } from '../errors.js';

const NATIVE_PACKAGES = ['koffi'] as const;

// Declared as dependencies but only needed to compile an addon or for types.
const BUILD_ONLY = new Set(['node-addon-api', 'node-gyp', 'prebuildify']);

export interface RuntimePackage {
  name: string;
  /** The package's directory. */
  dir: string;
  version: string;
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** `name`'s directory as Node finds it from `fromDir`, or undefined. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function isBuildOnly(name: string): boolean {
  return BUILD_ONLY.has(name) || name.startsWith('@types/');
}

/** The packages in `roots` and everything they need at run time, each once. */
export function runtimePackages(fromDir: string, roots: readonly string[] = NATIVE_PACKAGES): RuntimePackage[] {
  const found = new Map<string, RuntimePackage>();
  const visit = (name: string, from: string, optional: boolean) => {
    if (isBuildOnly(name)) return;
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (optional) return; // e.g. koffi's prebuilds for other platforms
      throw new CommandError(
        `cannot find the npm package ${name} (needed at run time) from ${fromDir}`,
        'run "npm ci" (or "make deps") in the source tree, then "make build"',
      );
    }
    const manifest = readManifest(dir);
    const known = found.get(name);
    if (known) {
      if (known.dir !== dir && known.version !== manifest.version) {
        throw new CommandError(
          `two versions of ${name} are needed (${known.version} and ${manifest.version})`,
          'deduplicate node_modules with "npm dedupe"',
        );
      }
      return;
    }
    found.set(name, { name, dir, version: manifest.version ?? '0.0.0' });
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const root of roots) visit(root, fromDir, false);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}
