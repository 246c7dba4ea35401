// Carrying out an install plan without surprises: every target is compared first; a target
// that exists with other content (or is another kind of file) is a conflict, and conflicts
// stop the install before anything is written unless --force says to replace them. Each
// file and link is written to a temporary name beside the target, the file fsynced, and
// renamed over the target (which replaces a symlink there rather than following it); the
// directory is fsynced after.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../../../lib/files/durable.js';
import { CommandError } from '../errors.js';
import type { InstallItem } from './plan.js';

export type ItemState = 'missing' | 'same' | 'different';

export interface ItemOutcome {
  item: InstallItem;
  /** installed: was missing; replaced: was different (--force); unchanged. */
  action: 'installed' | 'replaced' | 'unchanged';
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const CHUNK = 1024 * 1024;

/** Whether two files hold the same bytes, read a chunk at a time: the executable is ~110 MB. */
async function sameFiles(a: string, b: string): Promise<boolean> {
  if ((await stat(a)).size !== (await stat(b)).size) return false;
  const [first, second] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [x, y] = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
    for (;;) {
      const [{ bytesRead: n }, { bytesRead: m }] = [await first.read(x, 0, CHUNK, null), await second.read(y, 0, CHUNK, null)];
      if (n !== m || !x.subarray(0, n).equals(y.subarray(0, m))) return false;
      if (n === 0) return true;
    }
  } finally {
    await first.close();
    await second.close();
  }
}

async function sameContent(target: string, item: InstallItem): Promise<boolean> {
  if (item.kind === 'copy') return sameFiles(target, item.source);
  if (item.kind !== 'write') return false;
  const wanted = Buffer.from(item.content);
  return (await stat(target)).size === wanted.length && (await readFile(target)).equals(wanted);
}

async function sourceIsSymlink(item: InstallItem): Promise<string | undefined> {
  if (item.kind !== 'copy') return undefined;
  const info = await lstat(item.source);
  return info.isSymbolicLink() ? readlink(item.source) : undefined;
}

export async function stateOf(item: InstallItem): Promise<ItemState> {
  const info = await lstatOrUndefined(item.target);
  if (!info) return 'missing';
  const linkTo = item.kind === 'symlink' ? item.linkTo : await sourceIsSymlink(item);
  if (linkTo !== undefined) return info.isSymbolicLink() && (await readlink(item.target)) === linkTo ? 'same' : 'different';
  if (!info.isFile()) return 'different';
  return (await sameContent(item.target, item)) ? 'same' : 'different';
}

/** The file's content on disk before it is renamed into place: a crash leaves the old file or the whole new one. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeItem(item: InstallItem): Promise<void> {
  await mkdir(dirname(item.target), { recursive: true, mode: 0o755 });
  const existing = await lstatOrUndefined(item.target);
  if (existing?.isDirectory())
    throw new CommandError(`${item.target} is a directory`, 'move it out of the way; zonectl never removes directories');
  const temp = tempBeside(item.target);
  try {
    const linkTo = item.kind === 'symlink' ? item.linkTo : await sourceIsSymlink(item);
    if (linkTo !== undefined) await symlink(linkTo, temp);
    else if (item.kind === 'write') await writeFile(temp, item.content, { mode: 0o644, flag: 'wx' });
    else if (item.kind === 'copy') {
      await copyFile(item.source, temp, constants.COPYFILE_EXCL);
      await chmod(temp, item.executable ? 0o755 : 0o644);
    }
    if (linkTo === undefined) await syncFile(temp);
    await rename(temp, item.target);
    syncDirectory(dirname(item.target));
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

function conflictError(conflicts: readonly InstallItem[]): CommandError {
  const shown = conflicts.slice(0, 12).map((c) => c.target);
  const more = conflicts.length > shown.length ? [`... and ${conflicts.length - shown.length} more`] : [];
  return new CommandError(
    `${conflicts.length} file${conflicts.length === 1 ? '' : 's'} already exist${conflicts.length === 1 ? 's' : ''} with other content; nothing was installed`,
    'check them, then run again with --force to replace them (an upgrade needs --force too)',
    [...shown, ...more].join('\n'),
  );
}

export async function applyInstall(items: readonly InstallItem[], options: { force: boolean }): Promise<ItemOutcome[]> {
  const states = await Promise.all(items.map(stateOf));
  const conflicts = items.filter((_, i) => states[i] === 'different');
  if (conflicts.length && !options.force) throw conflictError(conflicts);
  const outcomes: ItemOutcome[] = [];
  // Library files first, links last: a link never points at a file that is not there yet.
  for (const [i, item] of items.entries()) {
    const state = states[i];
    if (state === 'same') {
      outcomes.push({ item, action: 'unchanged' });
      continue;
    }
    await writeItem(item);
    outcomes.push({ item, action: state === 'missing' ? 'installed' : 'replaced' });
  }
  return outcomes;
}
