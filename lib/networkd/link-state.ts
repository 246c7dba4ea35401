// What networkd says about one link, read from the state file it keeps per link in
// /run/systemd/netif/links/<ifindex> (KEY=VALUE lines; the same files sd-network's
// sd_network_link_get_*() and networkctl read). Two small file reads instead of a
// process or a D-Bus round trip, which matters when polling until a bridge is ready.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { linkNameProblem } from '../names/index.js';

export const defaultStateDir = '/run/systemd/netif';
const defaultSysClassNet = '/sys/class/net';

export interface LinkStatePaths {
  /** networkd's state directory (default /run/systemd/netif). */
  stateDir?: string;
  /** Where the kernel lists the links of the current network namespace (default /sys/class/net). */
  sysClassNet?: string;
}

export interface LinkState {
  ifname: string;
  ifindex: number;
  /** pending, initialized, configuring, configured, unmanaged, failed, linger. */
  adminState: string;
  /** off, no-carrier, dormant, degraded-carrier, carrier, degraded, enslaved, routable. */
  operState: string;
  /** The .network file networkd applied to the link, when it manages it. */
  networkFile: string | undefined;
  /** Every KEY=VALUE of the file. */
  fields: Readonly<Record<string, string>>;
}

export function parseStateFile(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals > 0) fields[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return fields;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The link's index in the current network namespace, or undefined when there is no such link. */
export async function readIfindex(ifname: string, sysClassNet: string = defaultSysClassNet): Promise<number | undefined> {
  const problem = linkNameProblem(ifname);
  if (problem) throw new TypeError(`invalid interface name ${JSON.stringify(ifname)}: ${problem}`);
  const text = await readOptional(join(sysClassNet, ifname, 'ifindex'));
  return text === undefined ? undefined : Number(text.trim());
}

/** networkd's view of the link, or undefined while the link or its state file does not exist. */
export async function readLinkState(ifname: string, paths: LinkStatePaths = {}): Promise<LinkState | undefined> {
  const ifindex = await readIfindex(ifname, paths.sysClassNet);
  if (ifindex === undefined) return undefined;
  const text = await readOptional(join(paths.stateDir ?? defaultStateDir, 'links', String(ifindex)));
  if (text === undefined) return undefined;
  const fields = parseStateFile(text);
  return {
    ifname,
    ifindex,
    adminState: fields.ADMIN_STATE ?? 'unknown',
    operState: fields.OPER_STATE ?? 'unknown',
    networkFile: fields.NETWORK_FILE || undefined,
    fields,
  };
}
