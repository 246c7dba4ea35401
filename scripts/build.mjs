// Build every executable in two forms from the same sources:
// - dist/native/cni-zones: the compiled, self-contained executable (Bun's `build --compile`),
//   holding every role; dist/native/{zone,zone-ipam,zone-ports,zonectl,zone-dns} are links to it and
//   the name it is started by picks the role (plugins/cni-zones/main.ts). What we ship and test.
// - dist/bin/<name>: one Node CJS bundle each, with a shebang and the run bit (esbuild), for
//   machines where a 100 MB file is unwelcome. koffi, the one native addon, stays external.
// `node scripts/build.mjs --node-only` skips the compiled executable.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';

const executables = {
  zone: 'plugins/zone/main.ts',
  'zone-ipam': 'plugins/zone-ipam/main.ts',
  'zone-ports': 'plugins/zone-ports/main.ts',
  zonectl: 'cli/zonectl/main.ts',
  // A zone's name server (a daemon, not a plugin): lib/dns/main.ts.
  'zone-dns': 'lib/dns/main.ts',
};
const MULTI_CALL = 'cni-zones';
const NODE_BANNER = '#!/usr/bin/env node\n"use strict";var __bundleUrl = require("url").pathToFileURL(__filename).href;';

const sizeOf = async (file) => `${((await stat(file)).size / 1024).toFixed(1)} KiB`;

async function nodeBundle(entry, outfile, banner) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // lib/libc/native.ts resolves koffi from the bundle's own location.
    banner: { js: banner },
    define: { 'import.meta.url': '__bundleUrl', CNI_ZONES_FORM: '"node"' },
    // bun:ffi is only ever required inside the compiled executable (lib/libc/ffi-bun.ts).
    external: ['koffi', 'bun:ffi'],
    logLevel: 'warning',
  });
}

await mkdir('dist/bin', { recursive: true });
// The repository is ESM; the bundles are CJS, and Node decides by the nearest package.json.
await writeFile('dist/package.json', '{ "type": "commonjs" }\n');
for (const [name, entry] of Object.entries(executables)) {
  const outfile = `dist/bin/${name}`;
  await nodeBundle(entry, outfile, NODE_BANNER);
  await chmod(outfile, 0o755);
  console.log(`${outfile}  ${await sizeOf(outfile)}`);
}

// The conformance harness (conformance/main.ts) is a tool, not a plugin: outside dist/bin,
// so it is never mistaken for one in a plugin directory. `npm run conformance` runs it.
await nodeBundle('conformance/main.ts', 'dist/conformance.cjs', NODE_BANNER);
console.log(`dist/conformance.cjs  ${await sizeOf('dist/conformance.cjs')}`);

// The .deb builder (packaging/main.ts), run by `make deb`: a tool too.
await nodeBundle('packaging/main.ts', 'dist/packaging.cjs', NODE_BANNER);
console.log(`dist/packaging.cjs  ${await sizeOf('dist/packaging.cjs')}`);

if (!process.argv.includes('--node-only')) await compileMultiCall();

async function compileMultiCall() {
  const dir = 'dist/native';
  const final = `${dir}/${MULTI_CALL}`;
  // Compiled beside the old file and renamed over it: a test holding a hard link to the old
  // one keeps a complete file, and nobody ever runs a half-written executable.
  const partial = `${dir}/.${MULTI_CALL}.partial-${process.pid}`;
  await mkdir(dir, { recursive: true });
  try {
    // CJS keeps each role's modules (and the node: built-ins they use) unevaluated until the
    // role runs; bytecode spares parsing on every start. A plugin runs as root in whatever
    // directory its runtime is in: it must never pick up a .env or bunfig.toml found there.
    const options = ['--minify', '--bytecode', '--format=cjs', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig'];
    // Which form this is, for the code that must find itself (cli/zonectl/self.ts).
    options.push('--define', 'CNI_ZONES_FORM="compiled"');
    execFileSync('node_modules/.bin/bun', ['build', '--compile', ...options, 'plugins/cni-zones/main.ts', '--outfile', partial], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await rename(partial, final);
  } finally {
    await rm(partial, { force: true });
  }
  for (const role of Object.keys(executables)) {
    await rm(`${dir}/${role}`, { force: true });
    await symlink(MULTI_CALL, `${dir}/${role}`);
  }
  console.log(`${final}  ${((await stat(final)).size / 1024 / 1024).toFixed(1)} MiB, linked as ${Object.keys(executables).join(', ')}`);
}
