// [::1]:hostPort for the attachment's TCP mappings (hostIP empty, `::` or ::1; `localhost` not false):
// the kernel cannot DNAT IPv6 loopback traffic, so a userspace proxy listens there and connects
// straight to the container (its IPv6 address when it has one, else its IPv4 one), without the
// nft table: a flushed ruleset does not take [::1] away. Where systemd manages our namespace it
// holds the listener in a socket unit (lib/proxy/systemd.ts); elsewhere we bind it and hand it
// to a detached proxy (lib/proxy/process.ts). Either way the attachment's record lists them,
// and DEL, GC, CHECK and repair work from that record.
import { existsSync } from 'node:fs';
import { formatHostPort } from '../ip/index.js';
import { isProxyError } from '../proxy/errors.js';
import { findLoopback6Holder, type Holder } from '../proxy/holder.js';
import { closeListener, type Listener, listenOnLoopback6, probeLoopback6 } from '../proxy/listener.js';
import { findMarkedProxies, isMarkedProxy, MARKER_VARIABLE, proxyProgram, spawnProxy, stopProxy } from '../proxy/process.js';
import { socketUnitActive, startProxyUnits, stopUnitPair, systemdManagesOurNamespace } from '../proxy/systemd.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import { invalidMapping } from './errors.js';
import type { PortMapping } from './mappings.js';
import { describeOwner, type Owner, stateFileName } from './owner.js';
import { type ProxyRecord, readStateFile, statePath } from './state.js';
import type { Target, Targets } from './targets.js';

/** The proxies' side of the world: the system's (below), or a fake in unit tests. */
export interface ProxyAccess {
  /** Take every planned [::1] port, or fail (code 130 naming the holder) before any change. */
  take(plans: readonly ProxyPlan[], stateDir: string, owner: Owner): Promise<TakenPorts>;
  /** Our copies of the taken listeners go: the proxies hold theirs. */
  release(taken: TakenPorts): void;
  start(taken: TakenPorts, stateDir: string, owner: Owner): Promise<ProxyRecord[]>;
  stop(records: readonly ProxyRecord[], stateDir: string, owner: Owner): Promise<void>;
  /** Stop the attachment's proxies found by their marker alone (its record is gone). */
  stopMarked(stateDir: string, owner: Owner): Promise<void>;
  runs(record: ProxyRecord, stateDir: string, owner: Owner): Promise<boolean>;
  stopOrphans(stateDir: string): Promise<void>;
  /** Throws (code 50) when no proxy can be started here. */
  available(): void;
}

/** One [::1] listener to provide: its port and where its connections go. */
export interface ProxyPlan {
  port: number;
  /** `10.89.0.5:80`, `[fd89::5]:80`: systemd-socket-proxyd's argument. */
  target: string;
}

const UNIT_PREFIX = 'cni-zones-proxy-';

/**
 * Where a mapping's [::1] connections go: none for UDP and SCTP (the proxy carries streams) or
 * a mapping on another address; for `::` (every IPv6 address) the container's IPv6 address;
 * otherwise whichever it has, IPv6 first.
 */
function loopback6Target(mapping: PortMapping, targets: Targets, localhost: boolean): Target | undefined {
  if (!localhost || mapping.protocol !== 'tcp') return undefined;
  if (mapping.hostIP === '::1' || mapping.family === undefined) return targets[6] ?? targets[4];
  return mapping.family === 6 && mapping.hostIP === undefined ? targets[6] : undefined;
}

/** The [::1] listeners of a request's mappings, one per host port. */
export function planProxies(mappings: readonly PortMapping[], targets: Targets, localhost: boolean): ProxyPlan[] {
  const byPort = new Map<number, ProxyPlan>();
  for (const mapping of mappings) {
    const target = loopback6Target(mapping, targets, localhost);
    if (target === undefined) continue;
    const plan = { port: mapping.hostPort, target: formatHostPort(target.address, mapping.containerPort) };
    const earlier = byPort.get(plan.port);
    if (earlier !== undefined && earlier.target !== plan.target) {
      throw invalidMapping(`portMappings publish tcp/[::1]:${plan.port} twice, toward ${earlier.target} and ${plan.target}`);
    }
    byPort.set(plan.port, plan);
  }
  return [...byPort.values()];
}

/** What marks the attachment's proxy processes: its record's path. */
function markerOf(stateDir: string, owner: Owner): string {
  return statePath(stateDir, owner);
}

function unitOf(owner: Owner, port: number): string {
  return `${UNIT_PREFIX}${stateFileName(owner).slice(0, 16)}-${port}`;
}

/** For a conflict: who holds the port, as a 130 names a container's host port ("already published by ..."). */
function describeHolder(holder: Holder | undefined, stateDir: string): string {
  if (holder === undefined) return 'taken by another program';
  const marker = holder.environment.get(MARKER_VARIABLE);
  if (marker?.startsWith(`${stateDir}/`)) {
    const owner = readStateFile(marker)?.owner;
    if (owner !== undefined) return `published by ${describeOwner(owner)}`;
  }
  return `taken by ${holder.command} (pid ${holder.pid})`;
}

function conflict(port: number, holder: string): CniError {
  return new CniError(
    ErrorCode.PortConflict,
    `host port tcp/[::1]:${port} is already ${holder}`,
    'nothing was changed; choose another hostPort, or stop what holds it',
  );
}

/** The listeners a proxy is started with; none under systemd, which binds its own. */
export interface TakenPorts {
  plans: readonly ProxyPlan[];
  listeners: Map<number, Listener>;
  viaSystemd: boolean;
}

/** Thrown by bindAll: which port someone holds. */
class PortTaken {
  constructor(readonly port: number) {}
}

function bindAll(plans: readonly ProxyPlan[], viaSystemd: boolean): TakenPorts {
  const listeners = new Map<number, Listener>();
  for (const { port } of plans) {
    try {
      if (viaSystemd) probeLoopback6(port);
      else listeners.set(port, listenOnLoopback6(port));
    } catch (e) {
      releasePorts({ plans, listeners, viaSystemd });
      throw isProxyError(e, 'in-use') ? new PortTaken(port) : e;
    }
  }
  return { plans, listeners, viaSystemd };
}

/**
 * Take every planned [::1] port before anything changes: a port held elsewhere is a code-130
 * conflict naming the holder. A proxy of the same attachment that lost its record (an ADD
 * repeated without DEL) gives way. Under systemd the ports are only probed (it binds them itself).
 */
async function takePorts(plans: readonly ProxyPlan[], stateDir: string, owner: Owner): Promise<TakenPorts> {
  const viaSystemd = plans.length > 0 && systemdManagesOurNamespace();
  for (let attempt = 0; ; attempt++) {
    try {
      return bindAll(plans, viaSystemd);
    } catch (e) {
      if (!(e instanceof PortTaken)) throw e;
      const { port } = e;
      const holder = findLoopback6Holder(port);
      const marker = markerOf(stateDir, owner);
      if (attempt > 0 || holder?.environment.get(MARKER_VARIABLE) !== marker) throw conflict(port, describeHolder(holder, stateDir));
      await stopProxy(holder.pid, marker);
    }
  }
}

/** Our copies of the listeners: the proxies hold theirs. */
function releasePorts(taken: TakenPorts): void {
  for (const listener of taken.listeners.values()) closeListener(listener);
}

/** What the record says before the proxies run: enough for DEL to find them after a kill. */
export function pendingRecords(taken: TakenPorts, owner: Owner): ProxyRecord[] {
  return taken.plans.map(({ port, target }) =>
    taken.viaSystemd ? { port, target, via: 'systemd', unit: unitOf(owner, port) } : { port, target, via: 'process' },
  );
}

/** Start a proxy behind each taken port; on failure the ones started are stopped again. */
async function startProxies(taken: TakenPorts, stateDir: string, owner: Owner): Promise<ProxyRecord[]> {
  const started: ProxyRecord[] = [];
  try {
    for (const record of pendingRecords(taken, owner)) {
      if (record.via === 'systemd') {
        await startProxyUnits(record.unit, record.port, record.target);
        started.push(record);
      } else {
        const pid = await spawnProxy(taken.listeners.get(record.port) as Listener, record.target, markerOf(stateDir, owner));
        started.push({ ...record, pid });
      }
    }
  } catch (e) {
    await stopProxies(started, stateDir, owner);
    throw e;
  }
  return started;
}

/** Stop the recorded proxies, and any marked one a kill left unrecorded; quietly done when gone. */
async function stopProxies(records: readonly ProxyRecord[], stateDir: string, owner: Owner): Promise<void> {
  const marker = markerOf(stateDir, owner);
  for (const record of records) {
    if (record.via === 'systemd') await stopUnitPair(record.unit);
    else if (record.pid !== undefined) await stopProxy(record.pid, marker);
  }
  if (records.some((record) => record.via === 'process' && record.pid === undefined)) await stopMarkedProxies(stateDir, owner);
}

async function stopMarkedProxies(stateDir: string, owner: Owner): Promise<void> {
  const marker = markerOf(stateDir, owner);
  for (const { pid } of findMarkedProxies((found) => found === marker)) await stopProxy(pid, marker);
}

/** Whether a recorded proxy listens: its process runs, or its socket unit is active. */
async function proxyRuns(record: ProxyRecord, stateDir: string, owner: Owner): Promise<boolean> {
  if (record.via === 'systemd') return socketUnitActive(record.unit);
  return record.pid !== undefined && isMarkedProxy(record.pid, markerOf(stateDir, owner));
}

/** `tcp/[::1]:8080 → 10.89.0.5:80` */
export function proxyLabel(record: Pick<ProxyRecord, 'port' | 'target'>): string {
  return `tcp/[::1]:${record.port} → ${record.target}`;
}

/**
 * GC: proxy processes of ours for `stateDir` whose record file is gone (removed while a kill
 * left the proxy unrecorded). A record that exists, readable or not, keeps its proxies. Units
 * are always recorded before they start, so their records find them.
 */
async function stopOrphanedProxies(stateDir: string): Promise<void> {
  const prefix = `${stateDir}/`;
  const orphaned = (marker: string) => marker.startsWith(prefix) && !marker.slice(prefix.length).includes('/') && !existsSync(marker);
  for (const { pid, marker } of findMarkedProxies(orphaned)) await stopProxy(pid, marker);
}

export const systemProxies: ProxyAccess = {
  take: takePorts,
  release: releasePorts,
  start: startProxies,
  stop: stopProxies,
  stopMarked: stopMarkedProxies,
  runs: proxyRuns,
  stopOrphans: stopOrphanedProxies,
  available: () => void proxyProgram(),
};
