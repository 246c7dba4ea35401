// Lays the package's files out in a staging directory, adds DEBIAN/ (control, md5sums,
// maintainer scripts) and has dpkg-deb build the .deb. Every mtime is SOURCE_DATE_EPOCH and
// gzip runs with -n, so the same commit builds the same package.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, rename, rm, symlink, lutimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync, constants as zlib } from 'node:zlib';
import { runChecked } from '../../lib/system/process.js';
import { renderControl } from './control.js';
import { type PackagedUnit, PACKAGE, type PackageEntry } from './layout.js';
import { renderPostinst, renderPostrm, renderPrerm } from './maintainer-scripts.js';

export type Compression = 'gzip' | 'xz' | 'none';

export interface BuildInputs {
  version: string;
  entries: PackageEntry[];
  units: PackagedUnit[];
  /** Where the .deb goes; the staging directory is made beside it. */
  outDir: string;
  /** Seconds since the epoch for every mtime. */
  sourceDateEpoch: number;
  compression: Compression;
  /** dpkg-deb -z: gzip 1 takes 2.4 s for the 109 MB executable on 2 cores, 9 takes 12.5 s for 7 % less. */
  level: number;
}

export function debFileName(version: string): string {
  return `${PACKAGE}_${version}_amd64.deb`;
}

async function stageEntry(root: string, entry: PackageEntry): Promise<void> {
  const path = join(root, entry.path);
  await mkdir(dirname(path), { recursive: true });
  if (entry.kind === 'symlink') return symlink(entry.target, path);
  if (entry.kind === 'copy') await copyFile(entry.source, path);
  else await writeFile(path, entry.gzip ? gzipSync(entry.content, { level: zlib.Z_BEST_COMPRESSION }) : entry.content);
  await chmod(path, entry.mode);
}

async function md5(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Walked {
  files: string[];
  /** KiB as dpkg-gencontrol counts: each file's size rounded up, 1 for every other entry. */
  kib: number;
}

async function walk(root: string, dir = ''): Promise<Walked> {
  const out: Walked = { files: [], kib: 0 };
  for (const name of (await readdir(join(root, dir))).sort()) {
    const rel = join(dir, name);
    const info = await lstat(join(root, rel));
    if (info.isDirectory()) {
      const inner = await walk(root, rel);
      out.files.push(...inner.files);
      out.kib += inner.kib + 1;
    } else if (info.isFile()) {
      out.files.push(rel);
      out.kib += Math.ceil(info.size / 1024);
    } else out.kib += 1;
  }
  return out;
}

/** Every entry's mtime to `epoch`, links themselves included; directories 0755 whatever the umask. */
async function normalise(path: string, epoch: number): Promise<void> {
  const info = await lstat(path);
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await normalise(join(path, name), epoch);
    await chmod(path, 0o755);
  }
  await lutimes(path, epoch, epoch);
}

async function writeControlArea(root: string, inputs: BuildInputs, walked: Walked): Promise<void> {
  const debian = join(root, 'DEBIAN');
  await mkdir(debian, { mode: 0o755 });
  await writeFile(join(debian, 'control'), renderControl({ version: inputs.version, installedSize: walked.kib }), { mode: 0o644 });
  const sums = await Promise.all(walked.files.map(async (file) => `${await md5(join(root, file))}  ${file}\n`));
  await writeFile(join(debian, 'md5sums'), sums.join(''), { mode: 0o644 });
  const scripts = { postinst: renderPostinst(inputs.units), prerm: renderPrerm(inputs.units), postrm: renderPostrm(inputs.units) };
  for (const [name, content] of Object.entries(scripts)) {
    await writeFile(join(debian, name), content);
    await chmod(join(debian, name), 0o755);
  }
}

/** Builds the .deb and returns its path. */
export async function buildDeb(inputs: BuildInputs): Promise<string> {
  const root = join(inputs.outDir, `.root-${process.pid}`);
  const deb = join(inputs.outDir, debFileName(inputs.version));
  const partial = `${deb}.partial-${process.pid}`;
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o755 });
  try {
    for (const entry of inputs.entries) await stageEntry(root, entry);
    await writeControlArea(root, inputs, await walk(root));
    await normalise(root, inputs.sourceDateEpoch);
    await runChecked('dpkg-deb', ['--root-owner-group', `-Z${inputs.compression}`, `-z${inputs.level}`, '--build', root, partial], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(inputs.sourceDateEpoch) },
      timeoutMs: 10 * 60_000,
    });
    await rename(partial, deb);
    return deb;
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}
