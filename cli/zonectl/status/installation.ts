// Where the running zonectl came from, for the header of `zonectl status`: the Debian package
// (dpkg lists the executable's real path in its file list; the version is dpkg's), `zonectl
// install` (LIB/bin/cni-zones, or the bundles in LIB/bin), or a build tree (dist/native or
// dist/bin of a checkout; the sources themselves when the test runner runs them).
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type SelfForm, selfForm } from '../self.js';
import { VERSION } from '../version.js';

export type InstallSource =
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

/** The Version of `pkg` in dpkg's status file, when it is installed. */
function dpkgVersion(status: string, pkg: string): string | undefined {
  for (const stanza of status.split(/\n\s*\n/)) {
    if (!new RegExp(`^Package: ${pkg}$`, 'm').test(stanza)) continue;
    return /^Version: (.+)$/m.exec(stanza)?.[1];
  }
  return undefined;
}

function isCheckout(dir: string, read: ReadText): boolean {
  try {
    return (JSON.parse(read(join(dir, 'package.json')) ?? '{}') as { name?: unknown }).name === PACKAGE;
  } catch {
    return false;
  }
}

/** Where the file at `executable` (a real path) was installed from. */
export function installSource(executable: string, read: ReadText = readText, dpkgDir = '/var/lib/dpkg'): InstallSource {
  const listed = read(join(dpkgDir, 'info', `${PACKAGE}.list`))?.split('\n') ?? [];
  if (listed.includes(executable)) {
    const version = dpkgVersion(read(join(dpkgDir, 'status')) ?? '', PACKAGE);
    return { kind: 'package', package: PACKAGE, ...(version !== undefined && { version }) };
  }
  const dir = dirname(executable);
  const checkout = [dirname(dirname(dir)), dirname(dir)].find((candidate) => isCheckout(candidate, read));
  if (checkout !== undefined && /\/(dist\/(native|bin)|cli\/zonectl|plugins\/cni-zones)$/.test(dir))
    return { kind: 'build-tree', checkout };
  if (basename(dir) === 'bin') return { kind: 'zonectl-install', libDir: dirname(dir) };
  return { kind: 'unknown' };
}

/** This zonectl: its version, real path and source. */
export function thisInstallation(form: SelfForm = selfForm()): InstallationView {
  const path = form.kind === 'compiled' ? form.executable : form.script;
  let executable = path;
  try {
    executable = realpathSync(path);
  } catch {
    // reported as it was started
  }
  return { version: VERSION, executable, source: installSource(executable) };
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
