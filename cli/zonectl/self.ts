// Where this zonectl is, in either form it is built in (scripts/build.mjs says which, through
// the build-time constant CNI_ZONES_FORM):
// - the compiled executable (dist/native/cni-zones, installed as /opt/cni-zones/bin/cni-zones):
//   self-contained, its code inside the file, so process.execPath is the executable itself;
//   the roles are links beside it;
// - a Node bundle (dist/bin/zonectl): node runs the script process.argv[1], its sibling
//   plugins beside it. Sources run by the test runner count as this form.
// From that: the command line that runs zonectl again (generated drop-ins, the demo's
// sandbox) and the directory of the plugins (install, the demo's CNI_PATH).
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export type SelfForm = { kind: 'compiled'; executable: string } | { kind: 'node'; script: string };

declare const CNI_ZONES_FORM: 'compiled' | 'node' | undefined;

/** The form the build made, and where it is. */
export function selfForm(
  built = typeof CNI_ZONES_FORM === 'string' ? CNI_ZONES_FORM : 'node',
  argv = process.argv,
  execPath = process.execPath,
): SelfForm {
  if (built === 'compiled') return { kind: 'compiled', executable: execPath };
  const script = argv[1];
  if (!script) throw new Error('cannot tell where zonectl is: process.argv[1] is empty');
  return { kind: 'node', script: isAbsolute(script) ? script : resolve(script) };
}

/**
 * The command that runs zonectl again: the compiled executable told its role (a unit needs no
 * link in its PATH), or node by its absolute path (systemd's PATH may not find the one running
 * now) with the script; or an executable given with --zonectl.
 */
export function selfInvocation(override?: string, form: SelfForm = selfForm()): string[] {
  if (override !== undefined) return [isAbsolute(override) ? override : resolve(override)];
  return form.kind === 'compiled' ? [form.executable, 'zonectl'] : [process.execPath, form.script];
}

/** The directory holding zonectl and its sibling plugins (symlinks resolved). */
export function bundleDir(form: SelfForm = selfForm()): string {
  return dirname(realpathSync(form.kind === 'compiled' ? form.executable : form.script));
}
