// Bundle every executable into dist/bin/<name>: one CJS file each, with a shebang and the
// run bit, so a plugin start loads one small file. Native addons stay external (see README).
import { build } from 'esbuild';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';

const executables = {
  zone: 'plugins/zone/main.ts',
  'zone-ipam': 'plugins/zone-ipam/main.ts',
  'zone-ports': 'plugins/zone-ports/main.ts',
  zonectl: 'cli/zonectl/main.ts',
};

await mkdir('dist/bin', { recursive: true });
// The repository is ESM; the bundles are CJS, and Node decides by the nearest package.json.
await writeFile('dist/package.json', '{ "type": "commonjs" }\n');
for (const [name, entry] of Object.entries(executables)) {
  const outfile = `dist/bin/${name}`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // lib/libc/native.ts resolves the native addons from the bundle's own location.
    banner: { js: '#!/usr/bin/env node\n"use strict";var __bundleUrl = require("url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__bundleUrl' },
    external: ['koffi', 'netlink'],
    logLevel: 'warning',
    metafile: true,
  });
  await chmod(outfile, 0o755);
  console.log(`${outfile}  ${((await stat(outfile)).size / 1024).toFixed(1)} KiB`);
}

// The conformance harness (conformance/main.ts) is a tool, not a plugin: outside dist/bin,
// so it is never mistaken for one in a plugin directory. `npm run conformance` runs it.
await build({
  entryPoints: ['conformance/main.ts'],
  outfile: 'dist/conformance.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node\n"use strict";var __bundleUrl = require("url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__bundleUrl' },
  external: ['koffi', 'netlink'],
  logLevel: 'warning',
});
console.log(`dist/conformance.cjs  ${((await stat('dist/conformance.cjs')).size / 1024).toFixed(1)} KiB`);
