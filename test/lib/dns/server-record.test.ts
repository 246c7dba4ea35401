// The record of a zone's name server: written and read back, refused when it names what we would
// never have started, removed with the temps of killed writers; and the standing of a recorded
// pid, from real processes (a `sleep` carrying the marker or not, then killed) and from facts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  MARKER_VARIABLE,
  processStanding,
  readServerRecord,
  removeServerRecord,
  serverMarker,
  serverRecordPath,
  serverUnitName,
  standingOf,
  writeServerRecord,
} from '../../../lib/dns/server-record.js';
import { makeTestTempDir } from '../../support/paths.js';

function stateDir(): string {
  const dir = makeTestTempDir('dns-server-record');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'dns');
}

/** A `sleep` with `env`, killed when the test ends. */
async function sleeper(env: Record<string, string>): Promise<ChildProcess> {
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

async function killed(child: ChildProcess): Promise<number> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited; // reaped: the pid is gone
  return child.pid as number;
}

describe('server record', () => {
  it('is written as documented and read back, for a process and for a unit', () => {
    const dir = stateDir();
    expect(readServerRecord('web', dir)).toBeUndefined();
    writeServerRecord('web', dir, { via: 'process', pid: 4242 });
    expect(serverRecordPath('web', dir)).toBe(join(dir, 'web.server.json'));
    expect(readServerRecord('web', dir)).toEqual({ via: 'process', pid: 4242 });
    writeServerRecord('web', dir, { via: 'systemd', unit: serverUnitName('web') });
    expect(readServerRecord('web', dir)).toEqual({ via: 'systemd', unit: 'cni-zones-dns-web' });
    expect(readdirSync(dir)).toEqual(['web.server.json']);
  });

  it('is not ours when it names another unit, a pid below 1, or is a symlink or no JSON', () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const path = serverRecordPath('web', dir);
    for (const text of [
      '{"via": "systemd", "unit": "sshd"}',
      '{"via": "systemd", "unit": "cni-zones-dns-other"}',
      '{"via": "process", "pid": 0}',
      '{"via": "process", "pid": -1}',
      '{"via": "process", "pid": 1.5}',
      '{"via": "process"}',
      'null',
      'not json',
    ]) {
      writeFileSync(path, text);
      expect(readServerRecord('web', dir), text).toBeUndefined();
    }
    rmSync(path);
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, '{"via": "process", "pid": 4242}');
    symlinkSync(elsewhere, path);
    expect(readServerRecord('web', dir)).toBeUndefined();
  });

  it('goes with the temps of dead writers; a live writer’s temp and other zones’ files stay', async () => {
    const dir = stateDir();
    writeServerRecord('web', dir, { via: 'process', pid: 4242 });
    writeServerRecord('db', dir, { via: 'process', pid: 4243 });
    const dead = await killed(await sleeper({}));
    const live = (await sleeper({})).pid as number;
    writeFileSync(join(dir, `.web.server.json.${dead}.tmp`), '{');
    writeFileSync(join(dir, `.web.server.json.${live}.tmp`), '{');
    removeServerRecord('web', dir);
    expect(readdirSync(dir).sort()).toEqual([`.web.server.json.${live}.tmp`, 'db.server.json']);
    removeServerRecord('web', dir); // nothing left to remove: quietly done
    removeServerRecord('web', join(dir, 'missing'));
    expect(existsSync(serverRecordPath('db', dir))).toBe(true);
  });

  it('replaces a record left by a writer that was killed midway', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const dead = await killed(await sleeper({}));
    writeFileSync(join(dir, `.web.server.json.${dead}.tmp`), '{"via":');
    writeServerRecord('web', dir, { via: 'process', pid: 4242 });
    expect(readdirSync(dir)).toEqual(['web.server.json']);
  });
});

describe('standing of a recorded server process', () => {
  it('serving when it runs with the zone’s marker here, elsewhere in another namespace, stale otherwise', () => {
    expect(standingOf({ running: true, marked: true, inOurNamespace: true })).toBe('serving');
    expect(standingOf({ running: true, marked: true, inOurNamespace: false })).toBe('elsewhere');
    expect(standingOf({ running: true, marked: false, inOurNamespace: true })).toBe('stale');
    expect(standingOf({ running: true, marked: false, inOurNamespace: false })).toBe('stale');
    expect(standingOf({ running: false, marked: false, inOurNamespace: false })).toBe('stale');
  });

  it('of real processes: the marked one serves, a killed one and a pid without the marker are stale', async () => {
    const dir = stateDir();
    const marker = serverMarker('web', dir);
    expect(marker).toBe(join(dir, 'web'));
    const server = await sleeper({ [MARKER_VARIABLE]: marker });
    expect(processStanding(server.pid as number, marker)).toBe('serving');
    // Another zone's server, or a pid that now belongs to some other program.
    expect(processStanding(server.pid as number, serverMarker('db', dir))).toBe('stale');
    expect(processStanding((await sleeper({})).pid as number, marker)).toBe('stale');
    expect(processStanding(await killed(server), marker)).toBe('stale');
  });
});
