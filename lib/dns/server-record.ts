// The record of a zone's name server, `<stateDir>/<zone>.server.json`: how the supervisor
// (supervisor.ts) runs it, {"via": "systemd", "unit": "cni-zones-dns-<zone>"} or
// {"via": "process", "pid": N}, so CHECK, `zonectl status` and `repair` and the zone's last DEL
// find it. Written through an exclusive temp file and a rename (lib/files/durable.ts), read
// without following a symlink; a temp left by a killed writer goes with the next write or removal.
//
// A process record outlives its process when something kills the server. Its standing says what
// the pid is now:
// - `serving`: it runs, carries the zone's marker (`CNI_ZONES_DNS=<stateDir>/<zone>`) and is in
//   our network namespace: our server;
// - `elsewhere`: it runs with the marker in another network namespace: that namespace's server,
//   which shares the stateDir and wrote last; its record is not ours to replace or remove;
// - `stale`: it is gone, a zombie, or the pid now belongs to a process without the marker.
// A stale record is replaced when the server is started again and removed when it is stopped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { collectStaleTemps, readFileNoFollow, removeQuietly, replaceFile } from '../files/durable.js';
import { inOurNetworkNamespace, isRunning, processEnvironment } from '../system/proc.js';

export type ServerRecord = { via: 'systemd'; unit: string } | { via: 'process'; pid: number };

/** The environment variable that marks a zone's server process as ours. */
export const MARKER_VARIABLE = 'CNI_ZONES_DNS';

const UNIT_PREFIX = 'cni-zones-dns-';
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export function serverRecordPath(zone: string, stateDir: string): string {
  return join(stateDir, `${zone}.server.json`);
}

/** The marker a zone's server process carries: `<stateDir>/<zone>`. */
export function serverMarker(zone: string, stateDir: string): string {
  return join(stateDir, zone);
}

/** `cni-zones-dns-<zone>`: the socket unit `.socket` and its service `.service`. */
export function serverUnitName(zone: string): string {
  return `${UNIT_PREFIX}${zone}`;
}

function tempName(zone: string, pid: number): string {
  return `.${zone}.server.json.${pid}.tmp`;
}

function tempWriter(zone: string, name: string): number | undefined {
  const prefix = `.${zone}.server.json.`;
  if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return undefined;
  const pid = name.slice(prefix.length, -'.tmp'.length);
  return /^[1-9]\d{0,9}$/.test(pid) ? Number(pid) : undefined;
}

function collectTemps(zone: string, stateDir: string): void {
  try {
    collectStaleTemps(stateDir, (name) => tempWriter(zone, name));
  } catch {
    // a directory we cannot list holds nothing we could remove
  }
}

/**
 * The zone's record, or undefined when there is none or it is not one of ours: unreadable, a
 * symlink, or naming something we would never have started (another unit, a pid below 1).
 */
export function readServerRecord(zone: string, stateDir: string): ServerRecord | undefined {
  let record: Partial<Record<'via' | 'unit' | 'pid', unknown>>;
  try {
    record = JSON.parse(readFileNoFollow(serverRecordPath(zone, stateDir)));
  } catch {
    return undefined;
  }
  if (record?.via === 'systemd' && record.unit === serverUnitName(zone)) return { via: 'systemd', unit: record.unit };
  if (record?.via === 'process' && Number.isSafeInteger(record.pid) && (record.pid as number) > 0) {
    return { via: 'process', pid: record.pid as number };
  }
  return undefined;
}

export function writeServerRecord(zone: string, stateDir: string, record: ServerRecord): void {
  const path = serverRecordPath(zone, stateDir);
  try {
    mkdirSync(stateDir, { recursive: true, mode: DIR_MODE });
    collectTemps(zone, stateDir);
    const temp = join(stateDir, tempName(zone, process.pid));
    // A temp of our pid is a dead namesake's (pid reuse): the zone lock keeps writers apart.
    removeQuietly(temp);
    replaceFile(path, temp, `${JSON.stringify(record)}\n`, FILE_MODE);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot write ${path}`, (e as Error).message);
  }
}

/** Remove the zone's record and what killed writers left of it; quietly done when there is none. */
export function removeServerRecord(zone: string, stateDir: string): void {
  removeQuietly(serverRecordPath(zone, stateDir));
  collectTemps(zone, stateDir);
}

/** What /proc says of a recorded pid, measured against the zone's marker. */
export interface ServerProcessFacts {
  running: boolean;
  marked: boolean;
  inOurNamespace: boolean;
}

export type ServerStanding = 'serving' | 'elsewhere' | 'stale';

export function standingOf(facts: ServerProcessFacts): ServerStanding {
  if (!facts.running || !facts.marked) return 'stale';
  return facts.inOurNamespace ? 'serving' : 'elsewhere';
}

function serverProcessFacts(pid: number, marker: string): ServerProcessFacts {
  const running = isRunning(pid);
  return {
    running,
    marked: running && processEnvironment(pid).get(MARKER_VARIABLE) === marker,
    inOurNamespace: running && inOurNetworkNamespace(pid),
  };
}

/** The standing of a process record's pid now. */
export function processStanding(pid: number, marker: string): ServerStanding {
  return standingOf(serverProcessFacts(pid, marker));
}
