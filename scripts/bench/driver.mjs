// The runtime that drives the full-chain bench. Preferred: libcni itself, the library podman 4,
// containerd and CRI-O chain plugins with. Debian 12's golang-github-appc-cni-dev ships libcni
// 1.1.2 but not its cnitool, so our own few-line main (libcni-driver/main.go, cnitool's command
// line) is built against Debian's libcni, offline in GOPATH mode, and cached in dist/bench/.
// When it cannot be built, the same chain is driven by our lib/runtime (bundled from
// runtime-driver.ts), and the output says so.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BenchError, baseEnv, hasCommand, onCleanup, progress, ROOT, tempDir } from './core.mjs';

const GOPATH = '/usr/share/gocode';
const CNI_SRC = `${GOPATH}/src/github.com/containernetworking/cni`;
const DRIVER_SOURCE = `${ROOT}/scripts/bench/libcni-driver/main.go`;
const OUT_DIR = `${ROOT}/dist/bench`;
const DRIVER_BINARY = `${OUT_DIR}/libcni-driver`;
const PACKAGES = ['golang-go', 'golang-github-appc-cni-dev'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBinary() {
  if (hasCommand('go')) return 'go';
  return isExecutable('/usr/lib/go/bin/go') ? '/usr/lib/go/bin/go' : undefined;
}

function driverSource() {
  return { target: DRIVER_SOURCE, text: readFileSync(DRIVER_SOURCE, 'utf8'), origin: 'scripts/bench/libcni-driver' };
}

function libcniVersion() {
  try {
    const first = gunzipSync(readFileSync('/usr/share/doc/golang-github-appc-cni-dev/changelog.Debian.gz')).toString('utf8').split('\n')[0];
    const match = /\(([^)]+)\)/.exec(first);
    return match ? `libcni ${match[1]}` : 'libcni';
  } catch {
    return 'libcni';
  }
}

function installGoPackages() {
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) return 'go or the libcni sources are missing, and apt-get cannot run here';
  progress(`chain: installing ${PACKAGES.join(' ')} to build the libcni driver`);
  const env = { ...baseEnv, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], { env, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = install();
  }
  return r.status === 0 ? undefined : `apt-get install ${PACKAGES.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
}

/** The cached libcni driver, or a fresh build of it; a reason string when there can be none. */
function libcniDriver() {
  if (!existsSync(`${CNI_SRC}/libcni`) || !goBinary()) {
    // A cached build stays usable without the toolchain.
    if (isExecutable(DRIVER_BINARY) && existsSync(`${DRIVER_BINARY}.source`))
      return { path: DRIVER_BINARY, origin: readFileSync(`${DRIVER_BINARY}.source`, 'utf8').split('\n')[1] ?? 'cached' };
    const why = installGoPackages();
    if (why) return why;
  }
  const go = goBinary();
  if (!go || !existsSync(`${CNI_SRC}/libcni`)) return `no Go toolchain or no ${CNI_SRC}/libcni after installing ${PACKAGES.join(' ')}`;
  const source = driverSource();
  const stamp = `${createHash('sha256').update(source.text).digest('hex')}\n${source.origin}, built against Debian's ${libcniVersion()}\n`;
  if (isExecutable(DRIVER_BINARY) && existsSync(`${DRIVER_BINARY}.source`) && readFileSync(`${DRIVER_BINARY}.source`, 'utf8') === stamp) {
    return { path: DRIVER_BINARY, origin: stamp.split('\n')[1] };
  }
  progress(`chain: building the libcni driver (${source.origin}), GOPATH mode, offline`);
  mkdirSync(OUT_DIR, { recursive: true });
  const cache = tempDir('gocache');
  const partial = `${DRIVER_BINARY}.partial-${process.pid}`;
  try {
    const env = {
      ...baseEnv,
      GO111MODULE: 'off',
      GOPATH,
      GOCACHE: cache.path,
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
    };
    const r = spawnSync(go, ['build', '-o', partial, source.target], { env, cwd: cache.path, encoding: 'utf8' });
    if (r.status !== 0) return `go build of the libcni driver failed: ${(r.stderr || r.stdout).trim().slice(0, 1500)}`;
    renameSync(partial, DRIVER_BINARY);
    writeFileSync(`${DRIVER_BINARY}.source`, stamp);
  } finally {
    rmSync(partial, { force: true });
    cache.remove();
  }
  return { path: DRIVER_BINARY, origin: stamp.split('\n')[1] };
}

/** Our lib/runtime behind the same command line, bundled fresh (lib/runtime may have changed). */
async function runtimeDriver() {
  const { build } = await import('esbuild');
  const outfile = `${OUT_DIR}/runtime-driver.cjs`;
  mkdirSync(OUT_DIR, { recursive: true });
  await build({
    entryPoints: [`${ROOT}/scripts/bench/runtime-driver.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: 'var __bundleUrl = require("url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__bundleUrl' },
    external: ['koffi', 'bun:ffi'],
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * libcni keeps each attachment's result under /var/lib/cni/results (its default cache dir):
 * remove our networks' files there, and the directories when this bench made them.
 */
function libcniCacheCleanup(networkPrefix) {
  const base = '/var/lib/cni';
  const results = `${base}/results`;
  const hadBase = existsSync(base);
  const hadResults = existsSync(results);
  return () => {
    if (existsSync(results)) {
      for (const name of readdirSync(results)) if (name.startsWith(networkPrefix)) rmSync(join(results, name), { force: true });
    }
    for (const [dir, had] of [
      [results, hadResults],
      [base, hadBase],
    ]) {
      if (had || !existsSync(dir)) continue;
      try {
        rmdirSync(dir);
      } catch {
        // not empty: something else uses it now
      }
    }
  };
}

/**
 * The driver for `choice` ('libcni', falling back to 'runtime'; or 'runtime'): its argv prefix
 * (then `add|del <network> <netns>`), extra environment, a description, and a cleanup.
 */
export async function prepareDriver(choice, networkPrefix) {
  let fallbackReason = 'asked for with --driver runtime';
  if (choice === 'libcni') {
    const tool = libcniDriver();
    if (typeof tool !== 'string') {
      const cleanup = libcniCacheCleanup(networkPrefix);
      const cancel = onCleanup(cleanup);
      return {
        kind: 'libcni',
        label: `libcni (AddNetworkList/DelNetworkList) through ${tool.origin}`,
        argv: [tool.path],
        env: {},
        remove() {
          cancel();
          cleanup();
        },
      };
    }
    fallbackReason = `the libcni driver could not be built: ${tool}`;
    progress(`chain: ${fallbackReason}; falling back to lib/runtime`);
  }
  let outfile;
  try {
    outfile = await runtimeDriver();
  } catch (e) {
    throw new BenchError(`${fallbackReason}; and the lib/runtime driver could not be bundled: ${e instanceof Error ? e.message : e}`);
  }
  const cache = tempDir('cnicache');
  return {
    kind: 'runtime',
    label: `our lib/runtime (dist/bench/runtime-driver.cjs under Node) — ${fallbackReason}`,
    argv: [process.execPath, outfile],
    env: { BENCH_CNI_CACHE_DIR: cache.path },
    remove: () => cache.remove(),
  };
}
