// The systemd-nspawn machines of a zone, found without their help: `systemd-nspawn
// --network-zone=<zone>` never calls our plugin, so its machines are not in the names store.
// The zone's name server (server.ts) finds them where they are, from the namespace that holds the
// zone's bridge:
//
//   const scan = scanZoneMachines(socket, 'vz-web', { subnets, machinedDir });
//   scan.machines   [{ machine: 'db', label: 'db', port: 'vb-db', source: 'port',
//                      addresses: ['10.89.0.130', 'fd89::8c1:2ff:fe3a:9b10'] }]
//   scan.problems   one sentence per machine that cannot be named or read (the server logs each once)
//
// - The machine: nspawn puts the host end of each machine's veth on the zone's bridge under the
//   name `vb-<machine>`. A name too long for that (more than 12 characters) is shortened by
//   nspawn 252 to 15 characters, `vb-`, its first 8 characters and a 4-character hash (older
//   versions cut it): the port no longer tells the name. Where systemd-machined runs, its state
//   file /run/systemd/machines/<machine> lists the machine's host-side interfaces (NETIF=), so a
//   port listed there is named by machined, shortened or not, when the port's name fits the
//   machine's (an index alone could be another namespace's: nspawn may run elsewhere). Without
//   machined, a shortened port is named by what it says.
// - Its name in the zone is that name lowercased, when it is a DNS label (lib/names); a machine
//   whose name is not (`my_box`, `db.local`) answers to no name and is reported as a problem.
// - Its addresses are those the machine itself has on its end of the veth (host0), read from the
//   kernel in the machine's namespace without entering it: the port's IFLA_LINK_NETNSID and
//   IFLA_LINK name that namespace and the peer's index, and an address list of that namespace
//   (IFA_TARGET_NETNSID, lib/rtnl) returns them. That is its DHCP lease from networkd's DHCP
//   server, its SLAAC and static addresses, whatever it really has. Addresses of the link and
//   host scope (fe80::/10, loopback), tentative ones and, when the zone's subnets are given,
//   those outside them are left out.
//
// Read-only and synchronous (the rtnetlink socket answers at once): a scan of a zone is a link
// lookup, one dump of the bridge's ports and one address list per machine, a fraction of a
// millisecond. The socket must check strictly (Rtnl.open's `strictChecking`), or the address
// lists fail rather than answer for the wrong namespace.
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileNoFollow } from '../files/durable.js';
import { parseAddress, type Subnet, subnetContains } from '../ip/index.js';
import { dnsLabelProblem, machineNameProblem } from '../names/index.js';
import { type Address, readAddresses } from '../rtnl/addresses.js';
import { isRtnlNotFound } from '../rtnl/errors.js';
import { type Link, readLink, readLinks } from '../rtnl/links.js';
import type { RtSocket } from '../rtnl/socket.js';

/** Where systemd-machined keeps one state file per running machine. */
export const MACHINED_STATE_DIR = '/run/systemd/machines';

/** The prefix of the host end of a machine's veth on a bridge (nspawn's `--network-zone`, `--network-bridge`). */
const MACHINE_PORT_PREFIX = 'vb-';

// IFNAMSIZ without its NUL, and what nspawn keeps of a longer name before its hash (IFNAMSIZ - 5).
const MAX_PORT_NAME = 15;
const KEPT_OF_SHORTENED = 11;
const RT_SCOPE_UNIVERSE = 0;
/** machined's files are a few hundred bytes; anything far larger is not one. */
const MAX_STATE_FILE = 64 * 1024;

/** What machined says of one machine: its name and the host-side interfaces it registered. */
export interface MachinedRecord {
  machine: string;
  /** Interface indexes (NETIF=), in the namespace nspawn ran in. */
  interfaces: number[];
}

export interface ZoneMachine {
  /** The machine's name, as machined or the port tells it. */
  machine: string;
  /** Its name in the zone, a DNS label; undefined when the machine's name is none. */
  label: string | undefined;
  /** The bridge port, the host end of its veth. */
  port: string;
  /** Who told the name. */
  source: 'machined' | 'port';
  /** Canonical address texts, v4 first. */
  addresses: string[];
}

export interface MachineScan {
  machines: ZoneMachine[];
  problems: string[];
}

export interface ScanOptions {
  /** The zone's subnets: addresses outside them are left out; none given, none are. */
  subnets?: readonly Subnet[];
  /** machined's state directory; default /run/systemd/machines. */
  machinedDir?: string;
}

/**
 * NAME= and NETIF= of a machined state file (KEY=VALUE lines, `#` comments); undefined when it
 * names no valid machine. Indexes that are not positive integers are left out.
 */
export function parseMachinedState(text: string): MachinedRecord | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) continue;
    values.set(trimmed.slice(0, equals), unquoted(trimmed.slice(equals + 1)));
  }
  const machine = values.get('NAME');
  if (machine === undefined || machineNameProblem(machine) !== undefined) return undefined;
  const interfaces = (values.get('NETIF') ?? '')
    .split(/\s+/)
    .filter((word) => /^[1-9]\d{0,9}$/.test(word))
    .map(Number)
    .filter((index) => index <= 0x7fffffff);
  return { machine, interfaces };
}

/** machined writes plain values; a value in matching quotes loses them. */
function unquoted(value: string): string {
  const quote = value[0];
  return (quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote) ? value.slice(1, -1) : value;
}

/**
 * machined's records: the regular files of `dir` (its `unit:…` symlinks and anything else that
 * is no plain file are passed over, and a file is opened without following a link). A missing
 * directory (machined does not run) has none; a file that cannot be read is skipped.
 */
export function readMachinedRecords(dir = MACHINED_STATE_DIR): MachinedRecord[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const records: MachinedRecord[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    let text: string;
    try {
      text = readFileNoFollow(join(dir, entry.name));
    } catch {
      continue; // gone since the listing, or replaced by a link
    }
    if (text.length > MAX_STATE_FILE) continue;
    const record = parseMachinedState(text);
    if (record !== undefined) records.push(record);
  }
  return records;
}

/** Whether nspawn names `machine`'s port `port`: `vb-<machine>`, or that shortened to 15 characters. */
export function portFitsMachine(port: string, machine: string): boolean {
  const full = `${MACHINE_PORT_PREFIX}${machine}`;
  if (port === full) return true;
  return full.length > MAX_PORT_NAME && port.length === MAX_PORT_NAME && port.startsWith(full.slice(0, KEPT_OF_SHORTENED));
}

/** The machine on `port`: machined's name when a record lists the port and fits it, else the port's. */
export function machineOfPort(
  port: Pick<Link, 'index' | 'name'>,
  records: readonly MachinedRecord[],
): Pick<ZoneMachine, 'machine' | 'source'> {
  const record = records.find((r) => r.interfaces.includes(port.index) && portFitsMachine(port.name, r.machine));
  if (record !== undefined) return { machine: record.machine, source: 'machined' };
  return { machine: port.name.slice(MACHINE_PORT_PREFIX.length), source: 'port' };
}

/** The addresses a machine answers to: global scope, usable, inside the zone's subnets when given; v4 first. */
export function answerableAddresses(addresses: readonly Address[], subnets: readonly Subnet[] = []): string[] {
  const kept = addresses.filter((a) => {
    if (a.scope !== RT_SCOPE_UNIVERSE || a.tentative || a.dadFailed) return false;
    const parsed = parseAddress(a.address);
    return parsed !== undefined && (subnets.length === 0 || subnets.some((subnet) => subnetContains(subnet, parsed)));
  });
  return [...new Set([...kept.filter((a) => a.family === 4), ...kept.filter((a) => a.family === 6)].map((a) => a.address))];
}

/** The machines on `bridge` now; none when the bridge does not exist. Throws RtnlErrors of the bridge's lookup and dump. */
export function scanZoneMachines(socket: RtSocket, bridge: string, options: ScanOptions = {}): MachineScan {
  const link = readLink(socket, bridge);
  if (link === undefined || link.kind !== 'bridge') return { machines: [], problems: [] };
  const ports = readLinks(socket, { master: link.index }).filter((port) => port.name.startsWith(MACHINE_PORT_PREFIX));
  if (ports.length === 0) return { machines: [], problems: [] };
  const records = readMachinedRecords(options.machinedDir);
  const machines: ZoneMachine[] = [];
  const problems: string[] = [];
  for (const port of ports) {
    const { machine, source } = machineOfPort(port, records);
    const lowercase = machine.toLowerCase();
    const labelProblem = dnsLabelProblem(lowercase);
    if (labelProblem) problems.push(`machine ${JSON.stringify(machine)} (${port.name}) has no name in the zone: ${labelProblem}`);
    let addresses: string[] = [];
    try {
      addresses = answerableAddresses(peerAddresses(socket, port), options.subnets);
    } catch (e) {
      // A machine that left while we looked is simply gone; anything else is worth a word.
      if (!isRtnlNotFound(e))
        problems.push(`cannot read the addresses of machine ${JSON.stringify(machine)} (${port.name}): ${(e as Error).message}`);
    }
    machines.push({ machine, label: labelProblem ? undefined : lowercase, port: port.name, source, addresses });
  }
  return { machines, problems };
}

/** The addresses of the veth's other end, in its namespace (or in ours, where nothing moved it). */
function peerAddresses(socket: RtSocket, port: Link): Address[] {
  // -1: the kernel could not give the namespace an id, as for one that is going away.
  if (port.peerIndex === undefined || (port.peerNetnsId !== undefined && port.peerNetnsId < 0)) return [];
  return readAddresses(socket, { index: port.peerIndex, ...(port.peerNetnsId !== undefined && { netnsId: port.peerNetnsId }) });
}
