// Finding system programs (ip, nft, nsenter, systemd-nspawn...). Runtimes start plugins with
// their own environment, where PATH may lack the sbin directories, so the system directories
// come first; then PATH's absolute entries; then where systemd keeps its daemons.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { ProcessError } from './process.js';

export const SYSTEM_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const SYSTEMD_DIRECTORIES = ['/lib/systemd', '/usr/lib/systemd'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `name` (an absolute name is only checked), or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (isAbsolute(name)) return isExecutable(name) ? name : undefined;
  const fromPath = path.split(delimiter).filter(isAbsolute);
  return [...SYSTEM_DIRECTORIES, ...fromPath, ...SYSTEMD_DIRECTORIES].map((dir) => join(dir, name)).find(isExecutable);
}

/** findExecutable for a program that must be there: a missing one is a ProcessError naming where it was looked for. */
export function requireExecutable(name: string): string {
  const found = findExecutable(name);
  if (found !== undefined) return found;
  const where = `${SYSTEM_DIRECTORIES.join(', ')}, PATH, ${SYSTEMD_DIRECTORIES.join(', ')}`;
  throw new ProcessError('not-found', `required program "${name}" not found (${where})`, `looked in ${where}`);
}
