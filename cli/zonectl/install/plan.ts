// What `zonectl install` puts where: the form that runs the install is the form installed.
// The compiled executable (what we ship):
//   LIB/bin/cni-zones                one self-contained file holding every role
//   LIB/bin/{zone,zone-ipam,zone-ports,zonectl} -> cni-zones
// The Node bundles (for machines where a 100 MB file is unwelcome):
//   LIB/package.json                 {"type": "commonjs"}: the bundles are CJS
//   LIB/bin/{zone,zone-ipam,zone-ports,zonectl}
//   LIB/node_modules/<package>/...   the native addon and what it loads (packages.ts)
// Either way, executables pointing into it: BIN/<plugin> -> LIB/bin/<plugin> (the CNI plugin
// directory), SBIN/zonectl -> LIB/bin/zonectl; plus the example network in CONF and
// UNIT/cni-zones-repair.service, which runs the installed `zonectl repair` (repair-unit.ts).
// Node resolves a symlinked script by its real path, so the bundles find LIB/node_modules; the
// compiled executable picks its role from the name it is started by, whatever the link chain.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CommandError } from '../errors.js';
import { CONFLIST_FILE, exampleConfList, renderConfList } from '../example.js';
import type { SelfForm } from '../self.js';
import { VERSION } from '../version.js';
import { DEFAULT_CONF_DIR } from '../../../lib/nspawn/runtime-paths.js';
import type { ExecWord } from '../../../lib/nspawn/exec-line.js';
import { runtimePackages } from './packages.js';
import { GC_UNIT, renderGcUnit } from './gc-unit.js';
import { REPAIR_UNIT, renderRepairUnit } from './repair-unit.js';

const PLUGINS = ['zone', 'zone-ipam', 'zone-ports'] as const;
const CLI = 'zonectl';
/** The names the compiled executable is linked as. zone-dns needs none: the zone plugin starts it by the executable's real path. */
export const ROLES = [...PLUGINS, CLI] as const;
export const MULTI_CALL = 'cni-zones';
export const DEFAULT_LIB_DIR = '/opt/cni-zones';
export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_SBIN_DIR = '/usr/local/sbin';

export interface InstallDirs {
  libDir: string;
  binDir: string;
  sbinDir: string;
  confDir: string;
  /** Where cni-zones-repair.service and cni-zones-gc.service go. */
  unitDir: string;
}

export interface InstallChoices {
  /** Write the example network into CONF too. */
  example: boolean;
}

export type InstallItem =
  | { kind: 'copy'; target: string; source: string; executable: boolean }
  | { kind: 'write'; target: string; content: string }
  | { kind: 'symlink'; target: string; linkTo: string };

/** Which items to name in the report; the library's files are counted, not listed. */
export interface InstallPlan {
  items: InstallItem[];
  /** The executables, the conflist and the units: what a user looks for. */
  visible: Set<string>;
  packages: string[];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // A package's own node_modules holds build-time extras; run-time dependencies come from packages.ts.
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(path);
  }
  return out;
}

function requireBundles(bundleDir: string): void {
  const missing = ROLES.filter((name) => !existsSync(join(bundleDir, name)));
  if (missing.length) {
    throw new CommandError(
      `the bundles ${missing.join(', ')} are missing in ${bundleDir}`,
      'build them with "make build" (or "node scripts/build.mjs")',
    );
  }
}

export const LIB_PACKAGE_JSON = `${JSON.stringify({ name: 'cni-zones', version: VERSION, private: true, type: 'commonjs' })}\n`;

/**
 * The compiled executable copied into `dir` as `cni-zones`, and beside it a link per role
 * (`zone -> cni-zones`, ...). The links are relative, so the directory works wherever it is
 * mounted: `zonectl install` lays it out in LIB/bin, `zonectl kube-node-setup` in a node's
 * CNI plugin directory seen through a host mount.
 */
export function compiledItems(dir: string, executable: string): InstallItem[] {
  const items: InstallItem[] = [{ kind: 'copy', target: join(dir, MULTI_CALL), source: executable, executable: true }];
  for (const name of ROLES) items.push({ kind: 'symlink', target: join(dir, name), linkTo: MULTI_CALL });
  return items;
}

/** The library: the compiled executable and its role links, or the bundles and their packages. */
async function libraryItems(libDir: string, form: SelfForm, bundleDir: string): Promise<{ items: InstallItem[]; packages: string[] }> {
  const libBin = join(libDir, 'bin');
  if (form.kind === 'compiled') return { items: compiledItems(libBin, form.executable), packages: [] };
  requireBundles(bundleDir);
  const items: InstallItem[] = [{ kind: 'write', target: join(libDir, 'package.json'), content: LIB_PACKAGE_JSON }];
  for (const name of ROLES) items.push({ kind: 'copy', target: join(libBin, name), source: join(bundleDir, name), executable: true });
  const packages = runtimePackages(bundleDir);
  for (const pkg of packages) {
    for (const file of await filesUnder(pkg.dir)) {
      items.push({
        kind: 'copy',
        target: join(libDir, 'node_modules', pkg.name, relative(pkg.dir, file)),
        source: file,
        executable: false,
      });
    }
  }
  return { items, packages: packages.map((p) => `${p.name}@${p.version}`) };
}

/** The installed zonectl as a unit runs it (no PATH needed). */
function installedZonectl(dirs: Pick<InstallDirs, 'libDir'>, form: SelfForm, node = process.execPath): ExecWord[] {
  const libBin = join(dirs.libDir, 'bin');
  return form.kind === 'compiled' ? [join(libBin, MULTI_CALL), CLI] : [node, join(libBin, CLI)];
}

function confDirOption(dirs: Pick<InstallDirs, 'confDir'>): string[] {
  return dirs.confDir === DEFAULT_CONF_DIR ? [] : ['--conf-dir', dirs.confDir];
}

function unitItems(dirs: InstallDirs, form: SelfForm): InstallItem[] {
  const zonectl = installedZonectl(dirs, form);
  return [
    { kind: 'write', target: join(dirs.unitDir, REPAIR_UNIT), content: renderRepairUnit([...zonectl, 'repair', ...confDirOption(dirs)]) },
    { kind: 'write', target: join(dirs.unitDir, GC_UNIT), content: renderGcUnit(zonectl, confDirOption(dirs)) },
  ];
}

export async function planInstall(
  dirs: InstallDirs,
  form: SelfForm,
  bundleDir: string,
  choices: InstallChoices = { example: false },
): Promise<InstallPlan> {
  const libBin = join(dirs.libDir, 'bin');
  const { items, packages } = await libraryItems(dirs.libDir, form, bundleDir);
  const links: InstallItem[] = [
    ...PLUGINS.map((name): InstallItem => ({ kind: 'symlink', target: join(dirs.binDir, name), linkTo: join(libBin, name) })),
    { kind: 'symlink', target: join(dirs.sbinDir, CLI), linkTo: join(libBin, CLI) },
  ];
  const conflist: InstallItem[] = choices.example
    ? [{ kind: 'write', target: join(dirs.confDir, CONFLIST_FILE), content: renderConfList(exampleConfList()) }]
    : [];
  const units = unitItems(dirs, form);
  items.push(...links, ...conflist, ...units);
  return {
    items,
    visible: new Set([...links, ...conflist, ...units].map((item) => item.target)),
    packages,
  };
}
