// `node dist/packaging.cjs deb [--executable FILE] [--out DIR] [--compression gzip|xz|none] [--level N]`:
// builds DIR/cni-zones_<version>_amd64.deb from the compiled executable (`make deb`).
// Compression, measured on 2 cores for the 109 MB executable: gzip -1 2.4 s (57 MB), gzip -9
// 12.5 s (53 MB), xz -1 39 s (46 MB), xz -6 51 s (41 MB), zstd 2.8 s (52 MB) but lintian calls a
// zstd member malformed-deb-archive (an error: Debian's archive takes gzip and xz only).
// The version is zonectl's own (cli/zonectl/version.ts, package.json's), so `zonectl --version`
// and the package always agree. Run from the repository's top directory.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VERSION } from '../cli/zonectl/version.js';
import { buildDeb, type Compression } from './deb/build.js';
import { packageExtras } from './deb/extras.js';
import { packageLayout, REPAIR } from './deb/layout.js';

const COMPRESSIONS: readonly Compression[] = ['gzip', 'xz', 'none'];

/** SOURCE_DATE_EPOCH when set, else the last commit's time, so a rebuild of one commit is identical. */
function sourceDateEpoch(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    throw new Error('set SOURCE_DATE_EPOCH: this is not a git checkout, and the package needs a fixed date');
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      executable: { type: 'string', default: 'dist/native/cni-zones' },
      out: { type: 'string', default: 'dist/deb' },
      compression: { type: 'string', default: 'gzip' },
      level: { type: 'string', default: '1' },
    },
  });
  if (positionals[0] !== 'deb' || positionals.length !== 1)
    throw new Error('usage: packaging.cjs deb [--executable FILE] [--out DIR] [--compression gzip|xz|none] [--level 0-9]');
  const compression = values.compression as Compression;
  if (!COMPRESSIONS.includes(compression)) throw new Error(`--compression: one of ${COMPRESSIONS.join(', ')}`);
  const level = Number(values.level);
  if (!/^[0-9]$/.test(values.level)) throw new Error('--level: 0 to 9');
  const date = sourceDateEpoch();
  const extras = packageExtras(VERSION, readFileSync('docs/configuration.md', 'utf8'));
  const entries = packageLayout({
    version: VERSION,
    executable: values.executable,
    exampleConfList: readFileSync('examples/cni-zones.conflist', 'utf8'),
    date,
    extras: extras.entries,
  });
  const started = Date.now();
  const deb = await buildDeb({
    version: VERSION,
    entries,
    units: [REPAIR, ...extras.units],
    outDir: values.out,
    sourceDateEpoch: date,
    compression,
    level,
  });
  console.log(`${deb}  (${compression} -${level}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch((error: unknown) => {
  console.error(`packaging: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
