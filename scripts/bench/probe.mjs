// Runs probe.ts (the bench's own entry points into lib/) under Bun, the runtime of the compiled
// executable, inside one of the bench's namespaces, and returns the JSON it prints.
import { accessSync, constants } from 'node:fs';
import { BenchError, ROOT, runAsync } from './core.mjs';

const BUN = `${ROOT}/node_modules/.bin/bun`;
const PROBE = `${ROOT}/scripts/bench/probe.ts`;

/** Why the probe cannot run, or undefined. */
export function bunBlocker() {
  try {
    accessSync(BUN, constants.X_OK);
    return undefined;
  } catch {
    return 'node_modules/.bin/bun missing (npm ci)';
  }
}

/** `bun probe.ts <command> <args as JSON>` in `ns`; its one line of JSON, parsed. */
export async function probe(ns, command, args) {
  // --no-env-file: a .env in the working directory is nothing the bench asked for.
  const out = await runAsync({ label: `probe ${command}`, argv: [BUN, '--no-env-file', PROBE, command, JSON.stringify(args)], ns });
  const line = out.split('\n').findLast((l) => l.startsWith('{'));
  if (!line) throw new BenchError(`probe ${command} printed nothing to read: ${out.trim().slice(0, 2000)}`);
  return JSON.parse(line);
}
