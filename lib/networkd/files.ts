// Puts a zone's networkd files into networkd's configuration directory and takes them
// away again. Each file is written to a hidden temporary name in the same directory and
// renamed over the target, so networkd never reads half a file (it skips hidden names and
// reads only `.netdev`/`.network`). A file whose content is already right is left alone,
// and the caller learns whether anything changed, i.e. whether networkd needs a reload.
// A multi-host zone has a second pair for its VXLAN port (vxlan-files.ts), written with the
// bridge's and removed with them, or alone when the zone stops being multi-host.

import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { renderVxlanFiles, vxlanFileNames, zoneOfVxlanFileName } from './vxlan-files.js';
import { bridgeName, renderZoneFiles, type ZoneFile, zoneFileNames, type ZoneNetwork, zoneOfFileName } from './zone-files.js';

/** Runtime configuration: gone after a reboot, like the containers that needed it. */
export const defaultNetworkDir = '/run/systemd/network';
const fileMode = 0o644;
const dirMode = 0o755;
let temporaryCounter = 0;

export interface FilesOutcome {
  /** True when at least one file was written or removed. */
  changed: boolean;
  /** Names of the files written or removed. */
  files: string[];
}

function ioError(action: string, path: string, error: unknown): CniError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CniError(ErrorCode.IoFailure, `cannot ${action} ${path}`, reason);
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
}

/** Write `content` to `dir/name` through a temporary file and rename; mode 0644. */
export async function writeFileAtomically(dir: string, name: string, content: string): Promise<void> {
  const target = join(dir, name);
  // pid + counter is unique among live writers, so an existing file is a dead writer's leftover.
  temporaryCounter += 1;
  const temporary = join(dir, `.${name}.${process.pid}.${temporaryCounter}.tmp`);
  try {
    await unlink(temporary).catch(() => undefined);
    const handle = await open(temporary, 'wx', fileMode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(fileMode); // the umask may have taken bits away at open()
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw ioError('write', target, error);
  }
}

/** Write the files whose content differs from what is on disk. */
async function writeFilesIfChanged(dir: string, files: readonly ZoneFile[]): Promise<FilesOutcome> {
  try {
    await mkdir(dir, { recursive: true, mode: dirMode });
  } catch (error) {
    throw ioError('create directory', dir, error);
  }
  const written: string[] = [];
  for (const file of files) {
    if ((await readIfExists(join(dir, file.name))) === file.content) continue;
    await writeFileAtomically(dir, file.name, file.content);
    written.push(file.name);
  }
  return { changed: written.length > 0, files: written };
}

/**
 * Render the zone's `.netdev` and `.network` (and its VXLAN pair when it has one) and write
 * those that changed; the VXLAN pair of a zone that no longer has one goes.
 */
export async function writeZoneFiles(network: ZoneNetwork, dir: string = defaultNetworkDir): Promise<FilesOutcome> {
  const files = renderZoneFiles(network);
  if (network.vxlan) files.push(...renderVxlanFiles(network.zone, bridgeName(network.zone), network.vxlan, network.mtu));
  const written = await writeFilesIfChanged(dir, files);
  if (network.vxlan) return written;
  const removed = await removeFiles(dir, vxlanFileNames(network.zone));
  return { changed: written.changed || removed.length > 0, files: [...written.files, ...removed] };
}

/** Remove the zone's files, its VXLAN pair's first; files already gone are not an error. */
export async function removeZoneFiles(zone: string, dir: string = defaultNetworkDir): Promise<FilesOutcome> {
  const removed = [...(await removeFiles(dir, vxlanFileNames(zone))), ...(await removeFiles(dir, zoneFileNames(zone)))];
  return { changed: removed.length > 0, files: removed };
}

/** The .network first: without it the link is no longer configured by a half-removed pair. */
async function removeFiles(dir: string, names: { netdev: string; network: string }): Promise<string[]> {
  const removed: string[] = [];
  for (const name of [names.network, names.netdev]) {
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw ioError('remove', join(dir, name), error);
    }
  }
  return removed;
}

/** Zones that have at least one file of ours in `dir`, sorted. */
export async function listZonesWithFiles(dir: string = defaultNetworkDir): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('list', dir, error);
  }
  const zones = names.map((name) => zoneOfFileName(name) ?? zoneOfVxlanFileName(name)).filter((zone): zone is string => zone !== undefined);
  return [...new Set(zones)].sort();
}
