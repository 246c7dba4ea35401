// What the package holds and where (Debian paths; /opt is the admin's, so /opt/cni/bin is made
// by postinst, maintainer-scripts.ts):
//   /usr/lib/cni-zones/cni-zones                      the compiled executable, every role in one file
//   /usr/lib/cni-zones/{zone,zone-ipam,zone-ports,zonectl} -> cni-zones   the role is the name it runs by
//   /usr/lib/cni/{zone,zone-ipam,zone-ports}          Debian's CNI directory (podman, containerd, cnitool)
//   /usr/sbin/zonectl
//   /lib/systemd/system/cni-zones-{repair,gc}.service
//   /usr/share/doc/cni-zones/{copyright,changelog.gz,examples/cni-zones.conflist}
//   /usr/share/man/man8/zonectl.8.gz, /usr/share/man/man7/cni-zones.7.gz
//   /usr/share/bash-completion/completions/zonectl
//   /usr/share/lintian/overrides/cni-zones
// Links are relative, as Debian policy 10.5 asks for links within one top-level directory.
import { dirname, posix } from 'node:path';
import { MULTI_CALL, ROLES } from '../../cli/zonectl/install/plan.js';
import { REPAIR_UNIT, renderRepairUnit } from '../../cli/zonectl/install/repair-unit.js';
import { renderChangelog, renderCopyright } from './documents.js';
import { renderLintianOverrides } from './lintian-overrides.js';

export const PACKAGE = 'cni-zones';
export const LIB_DIR = '/usr/lib/cni-zones';
const CNI_DIR = '/usr/lib/cni';
export const OPT_CNI_DIR = '/opt/cni/bin';
export const ZONECTL = '/usr/sbin/zonectl';
export const UNIT_DIR = '/lib/systemd/system';
const DOC_DIR = `/usr/share/doc/${PACKAGE}`;
export const PLUGINS = ROLES.filter((role) => role !== 'zonectl');

export type PackageEntry =
  | { kind: 'copy'; path: string; source: string; mode: number }
  | { kind: 'write'; path: string; content: string; mode: number; gzip?: boolean }
  | { kind: 'symlink'; path: string; target: string };

/** The units the package installs: `enable` all, `start` those that are not for boot only. */
export interface PackagedUnit {
  name: string;
  start: boolean;
}

export interface LayoutInputs {
  version: string;
  /** The compiled executable (dist/native/cni-zones). */
  executable: string;
  /** examples/cni-zones.conflist. */
  exampleConfList: string;
  /** Seconds since the epoch: the changelog's date. */
  date: number;
  /** The man pages, the completion and the GC unit (extras.ts), made by the CLI's own renderers. */
  extras: PackageEntry[];
}

function relativeLink(path: string, target: string): PackageEntry {
  return { kind: 'symlink', path, target: posix.relative(dirname(path), target) };
}

export const REPAIR: PackagedUnit = { name: REPAIR_UNIT, start: true };

/** The unit of `zonectl repair` as the package runs it. */
function repairUnitEntry(): PackageEntry {
  return { kind: 'write', path: `${UNIT_DIR}/${REPAIR_UNIT}`, content: renderRepairUnit([ZONECTL, 'repair']), mode: 0o644 };
}

export function packageLayout(inputs: LayoutInputs): PackageEntry[] {
  const executable = `${LIB_DIR}/${MULTI_CALL}`;
  return [
    { kind: 'copy', path: executable, source: inputs.executable, mode: 0o755 },
    ...ROLES.map((role): PackageEntry => ({ kind: 'symlink', path: `${LIB_DIR}/${role}`, target: MULTI_CALL })),
    ...PLUGINS.map((plugin) => relativeLink(`${CNI_DIR}/${plugin}`, `${LIB_DIR}/${plugin}`)),
    relativeLink(ZONECTL, `${LIB_DIR}/zonectl`),
    repairUnitEntry(),
    { kind: 'write', path: `${DOC_DIR}/copyright`, content: renderCopyright(), mode: 0o644 },
    { kind: 'write', path: `${DOC_DIR}/changelog.gz`, content: renderChangelog(inputs.version, inputs.date), mode: 0o644, gzip: true },
    { kind: 'write', path: `${DOC_DIR}/examples/cni-zones.conflist`, content: inputs.exampleConfList, mode: 0o644 },
    { kind: 'write', path: `/usr/share/lintian/overrides/${PACKAGE}`, content: renderLintianOverrides(), mode: 0o644 },
    ...inputs.extras,
  ];
}
