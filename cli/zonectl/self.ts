// Where this zonectl is: the command line that runs it again (for generated drop-ins) and the
// directory of the bundles beside it (for install and the demo's plugins).
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/** The script node was started with, as an absolute path (a symlink stays a symlink). */
export function selfScript(): string {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell where zonectl is: process.argv[1] is empty');
  return isAbsolute(script) ? script : resolve(script);
}

/**
 * How a unit runs zonectl: node by its absolute path (systemd's PATH may not find the one
 * running now), then the script; or an executable given with --zonectl.
 */
export function selfInvocation(override?: string): string[] {
  if (override !== undefined) return [isAbsolute(override) ? override : resolve(override)];
  return [process.execPath, selfScript()];
}

/** The directory holding the zonectl bundle and its sibling plugins (symlinks resolved). */
export function bundleDir(): string {
  return dirname(realpathSync(selfScript()));
}
