// Where the running zonectl came from, for the header of `zonectl status`: the Debian package
// (dpkg-query --search finds the executable's real path in the package; the version is dpkg's),
// `zonectl install` (LIB/bin/cni-zones, or the bundles in LIB/bin), or a build tree (dist/native
// or dist/bin of a checkout; the sources themselves when the test runner runs them). dpkg's
// database is asked through dpkg-query, never read directly (its format is dpkg's own).
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runProcess } from '../../../lib/system/process.js';
import { findExecutable } from '../../../lib/system/programs.js';
import { type SelfForm, selfForm } from '../self.js';
import { VERSION } from '../version.js';

export type InstallSource =
  /** The Debian package (dpkg's name for it: cni-zones, unless someone repackaged it). */
  | { kind: 'package'; package: string; version?: string }
  | { kind: 'zonectl-install'; libDir: string }
  | { kind: 'build-tree'; checkout: string }
  | { kind: 'unknown' };

export interface InstallationView {
  /** zonectl's own version. */
  version: string;
  /** The real path of what runs: the compiled executable, or the bundle or source script. */
  executable: string;
  source: InstallSource;
}

const PACKAGE = 'cni-zones';

/** Reads a file, undefined when it is not there or not readable. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** What dpkg knows of a path: the package holding it and that package's version. */
export type PackageOf = (path: string) => Promise<{ package: string; version?: string } | undefined>;

const DPKG_QUERY_TIMEOUT_MS = 5_000;

const dpkgPackageOf: PackageOf = async (path) => {
  const dpkgQuery = findExecutable('dpkg-query');
  if (dpkgQuery === undefined) return undefined;
  try {
    // `cni-zones: /usr/lib/cni-zones/cni-zones`; exit 1 when no package holds it.
    const search = await runProcess(dpkgQuery, ['--search', path], { timeoutMs: DPKG_QUERY_TIMEOUT_MS });
    const owner = search.exitCode === 0 ? /^([^\s:,]+): /.exec(search.stdout)?.[1] : undefined;
    if (owner === undefined) return undefined;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field syntax, not a template
    const show = await runProcess(dpkgQuery, ['--show', '--showformat=${Version}', owner], { timeoutMs: DPKG_QUERY_TIMEOUT_MS });
    const version = show.exitCode === 0 && show.stdout.trim() !== '' ? show.stdout.trim() : undefined;
    return { package: owner, ...(version !== undefined && { version }) };
  } catch {
    return undefined;
  }
};

function isCheckout(dir: string, read: ReadText): boolean {
  try {
    return (JSON.parse(read(join(dir, 'package.json')) ?? '{}') as { name?: unknown }).name === PACKAGE;
  } catch {
    return false;
  }
}

/** Where the file at `executable` (a real path) was installed from. */
export async function installSource(
  executable: string,
  read: ReadText = readText,
  packageOf: PackageOf = dpkgPackageOf,
): Promise<InstallSource> {
  const owner = await packageOf(executable);
  if (owner !== undefined) return { kind: 'package', ...owner };
  const dir = dirname(executable);
  const checkout = [dirname(dirname(dir)), dirname(dir)].find((candidate) => isCheckout(candidate, read));
  if (checkout !== undefined && /\/(dist\/(native|bin)|cli\/zonectl|plugins\/cni-zones)$/.test(dir))
    return { kind: 'build-tree', checkout };
  if (basename(dir) === 'bin') return { kind: 'zonectl-install', libDir: dirname(dir) };
  return { kind: 'unknown' };
}

/** This zonectl: its version, real path and source. */
export async function thisInstallation(form: SelfForm = selfForm()): Promise<InstallationView> {
  const path = form.kind === 'compiled' ? form.executable : form.script;
  let executable = path;
  try {
    executable = realpathSync(path);
  } catch {
    // reported as it was started
  }
  return { version: VERSION, executable, source: await installSource(executable) };
}

/** `zonectl 0.1.0 (/usr/lib/cni-zones/cni-zones), from the Debian package cni-zones 0.1.0` */
export function installationLine(view: InstallationView): string {
  const from = (() => {
    const source = view.source;
    switch (source.kind) {
      case 'package':
        return `from the Debian package ${source.package}${source.version ? ` ${source.version}` : ''}`;
      case 'zonectl-install':
        return `installed by "zonectl install" into ${source.libDir}`;
      case 'build-tree':
        return `from the build tree ${source.checkout}`;
      case 'unknown':
        return 'not from the package, "zonectl install" or a build tree';
    }
  })();
  return `zonectl ${view.version} (${view.executable}), ${from}`;
}
