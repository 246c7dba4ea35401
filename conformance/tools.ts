// The system tools the harness drives (iproute2, util-linux's nsenter, nft), found once by
// absolute path: a CNI runtime's PATH often lacks /usr/sbin, and so may ours.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const found = new Map<string, string | undefined>();

/** Absolute path of `name` in PATH or the usual system directories, or undefined. */
export function findTool(name: string): string | undefined {
  if (!found.has(name)) {
    const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
    found.set(name, dirs.map((dir) => join(dir, name)).find(isExecutable));
  }
  return found.get(name);
}

/** Like findTool, but a missing tool is an error naming it. */
export function tool(name: string): string {
  const path = findTool(name);
  if (!path) throw new Error(`required tool "${name}" not found (PATH and ${SYSTEM_DIRS.join(', ')})`);
  return path;
}

/** Why the harness cannot run here (not root, tools missing), or undefined. */
export function preflightProblem(required: readonly string[] = ['ip', 'nsenter']): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the harness creates network namespaces and must run as root');
  const missing = required.filter((name) => !findTool(name));
  if (missing.length) problems.push(`missing tools: ${missing.join(', ')}`);
  return problems.length ? problems.join('; ') : undefined;
}
