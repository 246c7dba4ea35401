// cnitool for the cnitool guide: Debian 12 ships libcni (golang-github-appc-cni-dev, in
// /usr/share/gocode) but no cnitool binary, which is in the same source package. So it is built
// here the way docs/guides/cnitool.md shows: `apt-get source` of the installed version through a
// deb-src list and apt state of our own (the host's apt configuration stays as it is; only the
// source fetch needs Debian's archive), then `go build` in GOPATH mode against /usr/share/gocode,
// offline. The binary is cached in /var/cache/cni-zones-test per version.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { requireExecutable } from '../../lib/system/programs.js';

const cacheDir = '/var/cache/cni-zones-test';
const libcniPackage = 'golang-github-appc-cni-dev';
const gopath = '/usr/share/gocode';
const stepTimeoutMs = 5 * 60_000;
const debianSources = 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n';

async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const result = await execa(requireExecutable(command), args, {
    ...options,
    reject: false,
    timeout: stepTimeoutMs,
    stdin: 'ignore',
    all: true,
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}):\n${result.all.slice(-3000)}`,
    );
  }
  return result.stdout;
}

/** Source package and version of the installed libcni, e.g. golang-github-appc-cni 1.1.2-1. */
async function libcniSource(): Promise<{ source: string; version: string }> {
  const fields = await run('dpkg-query', ['--show', '--showformat', `\${source:Package}\\t\${Version}`, libcniPackage]);
  const [source, version] = fields.trim().split('\t');
  if (!source || !version) throw new Error(`cannot read the source package of ${libcniPackage}: ${JSON.stringify(fields)}`);
  return { source, version };
}

/** apt-get options that use only `dir` for sources, lists and downloads. */
function privateApt(dir: string): string[] {
  return [
    ['Dir::Etc::SourceList', join(dir, 'sources.list')],
    ['Dir::Etc::SourceParts', join(dir, 'sources.list.d')],
    ['Dir::Etc::PreferencesParts', join(dir, 'preferences.d')],
    ['Dir::State::Lists', join(dir, 'lists')],
    ['Dir::Cache', join(dir, 'cache')],
    // Our own state: the host's apt lock is not ours to take, and _apt cannot enter a 0700 temp dir.
    ['Debug::NoLocking', '1'],
    ['APT::Sandbox::User', 'root'],
  ].flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

async function build(binary: string, source: string, version: string): Promise<void> {
  const work = await mkdtemp(join(cacheDir, 'cnitool-build-'));
  try {
    const apt = privateApt(work);
    for (const dir of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache/archives/partial', 'src', 'gocache']) {
      await mkdir(join(work, dir), { recursive: true });
    }
    await writeFile(join(work, 'sources.list'), debianSources);
    await run('apt-get', [...apt, '--quiet', 'update']);
    await run('apt-get', [...apt, '--quiet', 'source', `${source}=${version}`], { cwd: join(work, 'src') });
    const upstream = version.replace(/-[^-]+$/, '').replace(/^\d+:/, '');
    const tree = join(work, 'src', `${source}-${upstream}`);
    const env = { GO111MODULE: 'off', GOPATH: gopath, GOCACHE: join(work, 'gocache'), GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
    const partial = `${binary}.partial-${process.pid}`;
    await run('go', ['build', '-o', partial, './cnitool'], { cwd: tree, env });
    await rename(partial, binary);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;

/** The path of cnitool built from the installed libcni's source package (cached; built on first use). */
export function buildCnitool(): Promise<string> {
  built ??= (async () => {
    const { source, version } = await libcniSource();
    const binary = join(cacheDir, `cnitool-${version}`);
    if (!existsSync(binary)) {
      await mkdir(cacheDir, { recursive: true });
      await build(binary, source, version);
    }
    return binary;
  })().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
