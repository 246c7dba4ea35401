// The name server of a zone as something that runs: started by the ADD that needs it (nothing
// when it runs already), found by CHECK and `zonectl repair`, stopped when the zone's last member
// leaves (DEL, GC, the undo of an ADD). Supervised as the [::1] proxies are (lib/proxy):
// - where systemd is PID 1 in our namespace, a transient socket unit `cni-zones-dns-<zone>`
//   holds UDP and TCP port 53 on the gateway addresses (FreeBind=yes: an address networkd has
//   not put on the bridge yet does not fail it) and activates `<executable> zone-dns ...`;
// - elsewhere a detached process of ours binding the gateway addresses itself, with the marker
//   `CNI_ZONES_DNS=<stateDir>/<zone>` in its environment. A bind can race the address appearing
//   (networkd): a server that exits before it listens is started again, within a bound.
// Either way `<stateDir>/<zone>.server.json` records it (server-record.ts). A recorded pid is
// trusted only while it carries the marker and runs in our network namespace; otherwise the
// process is looked for by its marker, so a record lost to a kill, or one another namespace's
// server overwrote, still finds ours. A record whose process is gone (killed from outside) is
// stale: starting the server replaces it, stopping it removes it, whether a server ran or not.
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { CURRENT_NETNS_PATH } from '../netns/open.js';
import { isRunning, processEnvironment, readProc, sleep, terminate } from '../system/proc.js';
import { socketUnitActive, stopUnitPair, systemdManagesOurNamespace } from '../proxy/systemd.js';
import { waitLimit } from '../system/budget.js';
import { runChecked, startDetached } from '../system/process.js';
import { findExecutable } from '../system/programs.js';
import {
  MARKER_VARIABLE,
  processStanding,
  readServerRecord,
  removeServerRecord,
  serverMarker,
  serverUnitName,
  writeServerRecord,
} from './server-record.js';

/** What the zone's server serves. */
export interface ZoneDnsServer {
  zone: string;
  stateDir: string;
  domain: string;
  forward: boolean;
  /** The gateway addresses it listens on, port 53. */
  listen: readonly string[];
  /** The zone's subnets (PTR). */
  subnets: readonly string[];
}

const START_WAIT_MS = 5_000;
const STOP_WAIT_MS = 2_000;
const SYSTEMCTL_WAIT_MS = 10_000;
const POLL_MS = 5;

declare const CNI_ZONES_FORM: 'compiled' | 'node' | undefined;

/**
 * The command that runs the `zone-dns` role of this executable: the compiled executable (its
 * real path, not the link it was started by) told the role, or node with the `zone-dns` bundle
 * beside the running one.
 */
function isCompiled(): boolean {
  return typeof CNI_ZONES_FORM === 'string' && CNI_ZONES_FORM === 'compiled';
}

function serverCommand(): string[] {
  if (isCompiled()) return [realpathSync(process.execPath), 'zone-dns'];
  const script = process.argv[1];
  if (!script) throw new CniError(ErrorCode.PluginNotAvailable, 'cannot tell where the zone-dns role is: process.argv[1] is empty');
  return [process.execPath, join(dirname(realpathSync(script)), 'zone-dns')];
}

function serverArgs(spec: ZoneDnsServer): string[] {
  return [
    '--zone',
    spec.zone,
    '--domain',
    spec.domain,
    '--state-dir',
    spec.stateDir,
    ...spec.subnets.flatMap((subnet) => ['--subnet', subnet]),
    ...(spec.forward ? [] : ['--no-forward']),
  ];
}

/** Server processes of ours in this network namespace carrying `marker`. */
function findServers(marker: string): number[] {
  const ours = readlinkSync(CURRENT_NETNS_PATH);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .map(Number)
    .filter((pid) => {
      try {
        if (readlinkSync(`/proc/${pid}/ns/net`) !== ours) return false;
      } catch {
        return false;
      }
      return processEnvironment(pid).get(MARKER_VARIABLE) === marker && isRunning(pid);
    });
}

function program(name: string): string {
  return findExecutable(name) ?? name;
}

/** Whether the zone's server runs: its socket unit is active, or a process of ours serves it here. */
export async function zoneDnsRuns(zone: string, stateDir: string): Promise<boolean> {
  const record = readServerRecord(zone, stateDir);
  if (record?.via === 'systemd') return socketUnitActive(record.unit);
  const marker = serverMarker(zone, stateDir);
  if (record?.via === 'process' && processStanding(record.pid, marker) === 'serving') return true;
  return findServers(marker).length > 0;
}

/** Start the zone's server unless it runs; true when this call started it. */
export async function ensureZoneDns(spec: ZoneDnsServer): Promise<boolean> {
  const { zone, stateDir } = spec;
  const record = readServerRecord(zone, stateDir);
  if (record?.via === 'systemd' && (await socketUnitActive(record.unit))) return false;
  const marker = serverMarker(zone, stateDir);
  const standing = record?.via === 'process' ? processStanding(record.pid, marker) : undefined;
  if (standing === 'serving') return false;
  const [found] = findServers(marker);
  if (found !== undefined) {
    // Ours runs, unrecorded or behind a stale record: recorded again. A record another
    // namespace's server wrote stays that server's.
    if (standing !== 'elsewhere') writeServerRecord(zone, stateDir, { via: 'process', pid: found });
    return false;
  }
  if (systemdManagesOurNamespace()) {
    const unit = serverUnitName(zone);
    // Recorded before it starts: a kill in between leaves a unit a DEL finds.
    writeServerRecord(zone, stateDir, { via: 'systemd', unit });
    await startUnit(unit, spec);
  } else {
    const pid = await startProcess(spec);
    writeServerRecord(zone, stateDir, { via: 'process', pid });
  }
  return true;
}

async function startUnit(unit: string, spec: ZoneDnsServer): Promise<void> {
  // What is left of an earlier pair keeps the name taken: a failed unit, or a service still
  // running on the sockets it inherited after its socket unit was stopped by hand.
  await stopUnitPair(unit);
  const endpoints = spec.listen.map((address) => (address.includes(':') ? `[${address}]:53` : `${address}:53`));
  const args = [
    `--unit=${unit}`,
    `--description=cni-zones: the name server of zone ${spec.zone}`,
    '--collect',
    '--quiet',
    ...endpoints.flatMap((endpoint) => [`--socket-property=ListenDatagram=${endpoint}`, `--socket-property=ListenStream=${endpoint}`]),
    '--socket-property=FreeBind=yes',
    ...serverCommand(),
    ...serverArgs(spec),
  ];
  try {
    await runChecked(program('systemd-run'), args, { timeoutMs: waitLimit(SYSTEMCTL_WAIT_MS) });
  } catch (e) {
    throw new CniError(ErrorCode.TryAgainLater, `cannot start ${unit}.socket, the name server of zone ${spec.zone}`, (e as Error).message);
  }
}

/** The inodes of the sockets `pid` holds. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    }
  } catch {
    // gone
  }
  return inodes;
}

/** How many of `pid`'s sockets are bound to port 53 (UDP and TCP, v4 and v6). */
function port53Sockets(pid: number): number {
  const inodes = socketInodes(pid);
  let count = 0;
  for (const table of ['udp', 'udp6', 'tcp', 'tcp6']) {
    for (const line of (readProc(`/proc/${pid}/net/${table}`) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(':0035') && fields[9] !== undefined && inodes.has(fields[9])) count++;
    }
  }
  return count;
}

/**
 * A detached server listening on the gateways; its pid once all its sockets are bound. One that
 * exits first (a gateway address not there yet) is started again until the bound runs out.
 */
async function startProcess(spec: ZoneDnsServer): Promise<number> {
  // The compiled executable is started by the role's name as its argv[0], whatever its own file
  // is called (a copy named after another role picks by that name first).
  const compiled = isCompiled();
  const [file, ...role] = serverCommand() as [string, ...string[]];
  const args = [...(compiled ? [] : role), ...serverArgs(spec), ...spec.listen.flatMap((address) => ['--listen', address])];
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', [MARKER_VARIABLE]: serverMarker(spec.zone, spec.stateDir) };
  const until = Date.now() + waitLimit(START_WAIT_MS);
  for (let attempt = 1; ; attempt++) {
    let pid: number;
    try {
      pid = await startDetached(file, args, { env, ...(compiled && { argv0: 'zone-dns' }) });
    } catch (e) {
      throw new CniError(ErrorCode.PluginNotAvailable, `cannot start the name server of zone ${spec.zone}`, (e as Error).message);
    }
    for (;;) {
      if (!isRunning(pid)) break;
      if (port53Sockets(pid) >= 2 * spec.listen.length) return pid;
      if (Date.now() >= until) {
        await terminate(pid, STOP_WAIT_MS);
        throw new CniError(
          ErrorCode.TryAgainLater,
          `the name server of zone ${spec.zone} does not listen on ${spec.listen.join(', ')} port 53`,
          `waited ${START_WAIT_MS} ms; is port 53 taken there?`,
        );
      }
      await sleep(POLL_MS);
    }
    if (Date.now() >= until) {
      throw new CniError(
        ErrorCode.TryAgainLater,
        `the name server of zone ${spec.zone} exited at start ${attempt} times`,
        `it could not listen on ${spec.listen.join(', ')} port 53`,
      );
    }
    await sleep(Math.min(10 * attempt, 200));
  }
}

/**
 * Stop the zone's server, whichever way it runs, and remove its record, a stale one too (the
 * server was killed before); quietly done when none runs.
 */
export async function stopZoneDns(zone: string, stateDir: string): Promise<void> {
  const record = readServerRecord(zone, stateDir);
  if (record?.via === 'systemd') await stopUnitPair(record.unit);
  const marker = serverMarker(zone, stateDir);
  const standing = record?.via === 'process' ? processStanding(record.pid, marker) : undefined;
  const pids = new Set(findServers(marker));
  if (record?.via === 'process' && standing === 'serving') pids.add(record.pid);
  for (const pid of pids) await terminate(pid, STOP_WAIT_MS);
  // A record another namespace's server wrote (the stateDir is shared) is that server's.
  if (standing !== 'elsewhere') removeServerRecord(zone, stateDir);
}
