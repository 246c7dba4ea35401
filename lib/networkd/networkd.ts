// Talking to a running systemd-networkd: is it there, make it re-read its files, and wait
// until it has configured a link. Detection and reload go over D-Bus (what networkctl
// does; a SIGHUP would kill networkd 252, which has no reload-on-HUP), waiting reads the
// per-link state files. All of it works in whatever mount and network namespace the
// process runs in, e.g. inside a sandbox with a private /run and its own D-Bus.

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { callMethod, DbusError, type DbusMethodCall } from '../dbus/call.js';
import { defaultStateDir, type LinkState, type LinkStatePaths, readLinkState } from './link-state.js';
import { waitLimit } from '../system/budget.js';

const networkdBusName = 'org.freedesktop.network1';
const networkdObjectPath = '/org/freedesktop/network1';
const defaultBusTimeoutMs = 2_000;
const defaultLinkTimeoutMs = 5_000;
const firstPollMs = 2;
const maxPollMs = 25;

export interface NetworkdOptions extends LinkStatePaths {
  /** The system bus socket (default: DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket). */
  busSocket?: string;
  /** Bound for each D-Bus call. */
  timeoutMs?: number;
}

/**
 * - `running`: networkd owns its bus name.
 * - `absent`: networkd never ran here (no state file) or it has stopped (bus name unowned).
 * - `unresponsive`: networkd left its state file but the bus did not answer in time or is
 *   missing. Neither backend is safe then: networkd may come back and claim the bridge.
 */
export type NetworkdPresence = 'running' | 'absent' | 'unresponsive';

export interface Detection {
  presence: NetworkdPresence;
  /** Why, for logs and error details. */
  reason: string;
}

function busOptions(options: NetworkdOptions) {
  return { socketPath: options.busSocket, timeoutMs: waitLimit(options.timeoutMs ?? defaultBusTimeoutMs) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether networkd runs here and answers; costs one file check and, if it exists, one D-Bus call. */
export async function detectNetworkd(options: NetworkdOptions = {}): Promise<Detection> {
  const stateFile = join(options.stateDir ?? defaultStateDir, 'state');
  if (!(await exists(stateFile))) return { presence: 'absent', reason: `${stateFile} does not exist` };
  const call: DbusMethodCall = {
    destination: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus',
    member: 'NameHasOwner',
    signature: 's',
    args: [networkdBusName],
  };
  try {
    const [owned] = await callMethod(call, busOptions(options));
    return owned === true
      ? { presence: 'running', reason: `${networkdBusName} is on the system bus` }
      : { presence: 'absent', reason: `${networkdBusName} is not on the system bus (networkd stopped)` };
  } catch (error) {
    return { presence: 'unresponsive', reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function isNetworkdRunning(options: NetworkdOptions = {}): Promise<boolean> {
  return (await detectNetworkd(options)).presence === 'running';
}

function networkdCall(member: string, iface = 'org.freedesktop.network1.Manager'): DbusMethodCall {
  return { destination: networkdBusName, path: networkdObjectPath, interface: iface, member, noAutoStart: true };
}

function busFailure(what: string, error: unknown): CniError {
  // A timeout or an absent networkd goes away when networkd (re)starts or the bus is less busy.
  if (error instanceof DbusError && error.reason !== 'failed') {
    return new CniError(ErrorCode.TryAgainLater, `systemd-networkd did not ${what}`, error.details, { cause: error });
  }
  const details = error instanceof DbusError ? error.details : String(error);
  return new CniError(ErrorCode.Internal, `systemd-networkd failed to ${what}`, details, { cause: error });
}

/**
 * Make networkd re-read its .netdev/.network files (Manager.Reload, as `networkctl reload`).
 * networkd creates new netdevs and starts reconfiguring changed links before it replies, but
 * writes its state files in a step after the handler. A Ping, handled only after that step,
 * makes sure a waitForLink() that follows cannot read a link's state from before the reload.
 */
export async function reloadNetworkd(options: NetworkdOptions = {}): Promise<void> {
  try {
    await callMethod(networkdCall('Reload'), busOptions(options));
    await callMethod(networkdCall('Ping', 'org.freedesktop.DBus.Peer'), busOptions(options));
  } catch (error) {
    throw busFailure('reload its configuration', error);
  }
}

export interface WaitForLinkOptions extends LinkStatePaths {
  /** Give up after this long with CNI error 11 (try again later). */
  timeoutMs?: number;
  /** Only a link configured from this .network file (full path) counts. */
  networkFile?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(state: LinkState | undefined, ifname: string): string {
  if (!state) return `${ifname}: no such link or no networkd state for it`;
  return `${ifname}: ${state.adminState} (${state.operState}), network file ${state.networkFile ?? 'none'}`;
}

/** Poll networkd's state file (2 ms, growing to 25 ms) until the link is configured. */
export async function waitForLink(ifname: string, options: WaitForLinkOptions = {}): Promise<LinkState> {
  const timeoutMs = waitLimit(options.timeoutMs ?? defaultLinkTimeoutMs);
  const deadline = performance.now() + timeoutMs;
  let interval = firstPollMs;
  for (;;) {
    const state = await readLinkState(ifname, options);
    const ours = options.networkFile === undefined || state?.networkFile === options.networkFile;
    if (state?.adminState === 'configured' && ours) return state;
    if (state?.adminState === 'failed' && ours) {
      throw new CniError(ErrorCode.Internal, `systemd-networkd failed to configure ${ifname}`, describe(state, ifname));
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new CniError(
        ErrorCode.TryAgainLater,
        `systemd-networkd did not configure ${ifname} within ${timeoutMs} ms`,
        describe(state, ifname),
      );
    }
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 1.5, maxPollMs);
  }
}
