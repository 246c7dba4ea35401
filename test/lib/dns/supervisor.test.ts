// The supervisor's view of a zone's server and its stop, against real processes that only stand
// in for a server: a `sleep` carrying the zone's marker (what a server of ours carries), one
// without it (a pid reused by another program), and a pid that is gone. Nothing here starts a
// server (ensureZoneDns is left to the e2e tests), so the real module is imported past the
// unit setup's guard.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { MARKER_VARIABLE, readServerRecord, serverMarker, writeServerRecord } from '../../../lib/dns/server-record.js';
import { isRunning } from '../../../lib/system/proc.js';
import { makeTestTempDir } from '../../support/paths.js';

const { stopZoneDns, zoneDnsRuns } =
  await vi.importActual<typeof import('../../../lib/dns/supervisor.js')>('../../../lib/dns/supervisor.js');

function stateDir(): string {
  const dir = makeTestTempDir('dns-supervisor');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function sleeper(env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'ignore' });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

async function deadPid(): Promise<number> {
  const child = await sleeper();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid as number;
}

describe('zone name server supervisor', () => {
  it('a record whose server was killed: not running, and stopping removes it', async () => {
    const dir = stateDir();
    writeServerRecord('web', dir, { via: 'process', pid: await deadPid() });
    expect(await zoneDnsRuns('web', dir)).toBe(false);
    await stopZoneDns('web', dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a record whose pid now belongs to another program: stale, removed, the program left alone', async () => {
    const dir = stateDir();
    const other = await sleeper();
    writeServerRecord('web', dir, { via: 'process', pid: other.pid as number });
    expect(await zoneDnsRuns('web', dir)).toBe(false);
    await stopZoneDns('web', dir);
    expect(readdirSync(dir)).toEqual([]);
    expect(isRunning(other.pid as number)).toBe(true);
  });

  it('a server found by its marker behind a stale record runs, and stopping ends it and the record', async () => {
    const dir = stateDir();
    const server = await sleeper({ [MARKER_VARIABLE]: serverMarker('web', dir) });
    const exited = new Promise((resolve) => server.once('exit', (_code, signal) => resolve(signal)));
    writeServerRecord('web', dir, { via: 'process', pid: await deadPid() });
    expect(await zoneDnsRuns('web', dir)).toBe(true);
    expect(await zoneDnsRuns('db', dir)).toBe(false);
    await stopZoneDns('web', dir);
    expect(await exited).toBe('SIGTERM');
    expect(existsSync(join(dir, 'web.server.json'))).toBe(false);
  });

  it('with no record and no server, stopping is quietly done', async () => {
    const dir = stateDir();
    await stopZoneDns('web', join(dir, 'missing'));
    expect(readServerRecord('web', dir)).toBeUndefined();
  });
});
