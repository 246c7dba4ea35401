// Files that hold state across plugin calls (IPAM allocations, port records): written so a
// crash leaves either the old content or the new one, and never redirected by what someone
// planted in the directory.
// - A new file is created with O_EXCL|O_NOFOLLOW: a symlink or any existing file at its path is
//   refused, never followed or truncated. It is fsynced before it is linked or renamed into
//   place, and the directory after, so the name is on disk as well as the content.
// - A temp file is named after its writer's pid; one whose writer is dead (killed midway) is
//   debris, collected by the next writer.
// Errors are Node's own (ErrnoException with its `code`); callers say what failed.
// Synchronous on purpose: each call is microseconds, and plugin start-up is measured in them.
import { closeSync, constants, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Create `path`, which must not exist in any form, with `content`, on disk before returning. */
export function createFile(path: string, content: string, mode: number): void {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    removeQuietly(path);
    throw e;
  }
  closeSync(fd);
}

/** Put the directory's entries (new, renamed, removed names) on disk. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace `path` with `content` through `temp` (created exclusively, renamed over it): readers
 * see the old or the new file. Something already at `temp` fails it (EEXIST) and stays.
 */
export function replaceFile(path: string, temp: string, content: string, mode: number): void {
  createFile(temp, content, mode);
  try {
    renameSync(temp, path);
  } catch (e) {
    removeQuietly(temp);
    throw e;
  }
  syncDirectory(dirname(path));
}

/** The content of `path` unless it is a symlink (ELOOP), read as UTF-8. */
export function readFileNoFollow(path: string): string {
  const fd = openSync(path, O_RDONLY | O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never made
  }
}

/** Whether a process with this pid exists (in our pid namespace); EPERM means it does. */
export function isProcessAlive(pid: number): boolean {
  // kill(2) reads 0 and negative pids as process groups: never ask about those.
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) !== 'ESRCH';
  }
}

/**
 * Remove the temp files in `dir` whose writer is gone: `writerOf` gives the pid a name
 * carries, or undefined for names that are not temp files. Ours and live writers' stay.
 * Returns the names removed; a directory that does not exist holds none.
 */
export function collectStaleTemps(dir: string, writerOf: (name: string) => number | undefined): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return [];
    throw e;
  }
  const stale = names.filter((name) => {
    const pid = writerOf(name);
    return pid !== undefined && pid !== process.pid && !isProcessAlive(pid);
  });
  for (const name of stale) removeQuietly(join(dir, name));
  return stale;
}
