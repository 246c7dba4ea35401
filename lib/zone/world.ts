// Everything the zone core does to the machine goes through a ZoneWorld: rtnetlink in the
// host's and the container's namespace, systemd-networkd and -resolved, nspawn's zone lock, our nftables
// table, sysctls, IPAM and port publishing. The core (attach, detach, check, gc) is handed a
// world, as netavark hands its drivers their sockets: `systemWorld()` is the machine, and unit
// tests hand in a stateful fake (test/lib/zone/fake-world.ts) to check undo order, CHECK and
// GC without root.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { delegate, delegateAdd } from '../cni/delegate.js';
import type { GcRequest, Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import { findPlugin } from '../cni/exec.js';
import type { Attachment, Result } from '../cni/types.js';
import { removeOwnerNames, removeUnlistedOwners, setOwnerNames } from '../dns/names.js';
import { ensureZoneDns, stopZoneDns, type ZoneDnsServer, zoneDnsRuns } from '../dns/supervisor.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../ipam/commands.js';
import { loadIpamConfig } from '../ipam/config.js';
import { withFileLock } from '../libc/lock.js';
import { isNetnsError, NetnsError } from '../netns/errors.js';
import { type NetnsHandle, openContainerNetns } from '../netns/open.js';
import { readSysctl, type SysctlKey, writeSysctl, writeSysctls } from '../netns/sysctl.js';
import { removeZoneFiles, writeZoneFiles } from '../networkd/files.js';
import type { ZoneNetwork } from '../networkd/zone-files.js';
import { detectNetworkd, reloadNetworkd, waitForLink } from '../networkd/networkd.js';
import { ourTable } from '../nft/our-table.js';
import type { TableFamily } from '../nft/objects.js';
import type { NftTable } from '../nft/table.js';
import { portsAdd, portsCheck, portsDel, portsGc, portsOwner, portsRequest, wantsPorts } from '../ports/commands.js';
import { loadPortsConfigForDel } from '../ports/config.js';
import { statePath } from '../ports/state.js';
import { announceLinkDns, type LinkDnsOutcome } from '../resolved/link-dns.js';
import { Rtnl } from '../rtnl/client.js';
import type { Backend } from './plan.js';

/** The rtnetlink calls the zone core makes, in one namespace. */
export type Links = Pick<
  Rtnl,
  | 'getLink'
  | 'getLinkByIndex'
  | 'listLinks'
  | 'createBridge'
  | 'createVeth'
  | 'createVxlan'
  | 'vxlanIdentity'
  | 'floodEntries'
  | 'addFloodEntry'
  | 'deleteFloodEntry'
  | 'setMaster'
  | 'setHairpin'
  | 'setUp'
  | 'deleteLinkIfExists'
  | 'listAddresses'
  | 'addAddress'
  | 'addRoute'
  | 'listRoutes'
  | 'close'
>;

/** CNI_NETNS, opened and checked to be a container's namespace (never the host's). */
export interface ContainerNamespace {
  readonly path: string;
  /** Where the host puts the container end of a veth. */
  readonly target: NetnsHandle;
  links(): Promise<Links>;
  writeSysctls(values: readonly [SysctlKey, number][]): Promise<void>;
  close(): void;
}

export type ResolvedBackend = 'networkd' | 'netlink';

export interface ZoneNetworkd {
  /** Writes the zone's .netdev/.network files; whether any changed. */
  writeFiles(spec: ZoneNetwork, dir: string): Promise<{ changed: boolean }>;
  /** Removes the zone's files; whether there were any. */
  removeFiles(zone: string, dir: string): Promise<{ changed: boolean }>;
  reload(): Promise<void>;
  /** Until networkd has configured `ifname` from `networkFile`. */
  waitConfigured(ifname: string, networkFile: string): Promise<void>;
}

/** IPAM of an attachment: zone-ipam in-process, any other type delegated through CNI_PATH. */
export interface ZoneIpam {
  /** Everything checked that can be before an address is taken; the returned call takes it. */
  prepareAdd(req: Request): () => Promise<Result>;
  del(req: Request): Promise<void>;
  check(req: Request): Promise<void>;
  status(req: Request): Promise<void>;
  gc(req: GcRequest): Promise<void>;
}

/** The zone's name server (lib/dns): the names of its members, and the server that answers them. */
export interface ZoneDnsAccess {
  /** The attachment's names are now exactly `names`, resolving to `addresses`. */
  setNames(zone: string, stateDir: string, owner: Attachment, names: readonly string[], addresses: readonly string[]): Promise<void>;
  /** The attachment's names are gone (none is fine). */
  removeNames(zone: string, stateDir: string, owner: Attachment): Promise<void>;
  /** GC: the names of `network`'s attachments that `valid` does not list are gone. */
  pruneNames(zone: string, stateDir: string, network: string, valid: readonly Attachment[]): Promise<void>;
  /** Start the zone's server unless it runs; true when this call started it. */
  ensureServer(server: ZoneDnsServer): Promise<boolean>;
  stopServer(zone: string, stateDir: string): Promise<void>;
  serverRuns(zone: string, stateDir: string): Promise<boolean>;
  /** Tell systemd-resolved that `servers` answer `domain` (routing-only) on link `ifindex` of our namespace. */
  announceLink(ifindex: number, servers: readonly string[], domain: string): Promise<LinkDnsOutcome>;
}

/** Port publishing of an attachment (lib/ports), when the runtime asked for it. */
export interface ZonePorts {
  /** Whether the request asks for ports; its mappings and config are checked here, before anything is made. */
  prepare(req: Request): boolean;
  /** Whether DEL has ports to take away: asked for now, or recorded by the ADD. */
  recorded(req: Request): boolean;
  add(req: Request, result: Result): Promise<void>;
  del(req: Request): Promise<void>;
  check(req: Request, result: Result): Promise<void>;
  gc(req: GcRequest): Promise<void>;
}

export interface ZoneWorld {
  hostLinks(): Promise<Links>;
  openContainer(path: string): ContainerNamespace;
  backend(wanted: Backend): Promise<ResolvedBackend>;
  networkd: ZoneNetworkd;
  /** Run `fn` under the lock systemd-nspawn takes while it creates or removes zone bridges. */
  withZoneLock<T>(fn: () => Promise<T>): Promise<T>;
  machineId(): string;
  /** Our table of `family`: inet (the default), or bridge for what only bridge ports show. */
  nft(family?: TableFamily): NftTable;
  /** The host namespace's sysctls. */
  readSysctl(key: string): Promise<string>;
  writeSysctl(key: string, value: number): Promise<void>;
  ipam: ZoneIpam;
  ports: ZonePorts;
  dns: ZoneDnsAccess;
}

/** The lock systemd-nspawn takes while it creates or removes zone bridges. */
const ZONE_LOCK = '/run/systemd/nspawn-network-zone';

/** The machine itself. */
export function systemWorld(): ZoneWorld {
  return {
    hostLinks: () => Rtnl.open(),
    openContainer,
    backend: resolveBackend,
    networkd: {
      writeFiles: (spec, dir) => writeZoneFiles(spec, dir),
      removeFiles: (zone, dir) => removeZoneFiles(zone, dir),
      reload: () => reloadNetworkd(),
      waitConfigured: async (ifname, networkFile) => void (await waitForLink(ifname, { networkFile })),
    },
    // nspawn's lock is an OFD lock, which flock(2) does not exclude.
    withZoneLock: (fn) => {
      mkdirSync(dirname(ZONE_LOCK), { recursive: true });
      return withFileLock(ZONE_LOCK, fn, { kind: 'ofd' });
    },
    machineId,
    nft: (family) => ourTable(undefined, family),
    readSysctl: (key) => readSysctl(key),
    writeSysctl: (key, value) => writeSysctl(key, value),
    ipam: systemIpam,
    ports: systemPorts,
    dns: systemDns,
  };
}

/** A refusal names CNI_NETNS, as SPEC asks of code 4. */
function openContainer(path: string): ContainerNamespace {
  let opened: NetnsHandle;
  try {
    opened = openContainerNetns(path);
  } catch (e) {
    if (isNetnsError(e)) throw new NetnsError(e.reason, `CNI_NETNS: ${e.message}`, e.details, { cause: e });
    throw e;
  }
  return {
    path,
    target: opened,
    links: () => Rtnl.open(opened),
    writeSysctls: (values) => writeSysctls(values, { netns: opened }),
    close: () => opened.close(),
  };
}

// networkd when it runs and answers on D-Bus, else netlink. A networkd that exists but does
// not answer is not "absent": falling back to netlink then would race networkd's vendor
// 80-container-vz.network for the bridge when it comes back.
async function resolveBackend(wanted: Backend): Promise<ResolvedBackend> {
  if (wanted === 'netlink') return 'netlink';
  const detection = await detectNetworkd();
  if (detection.presence === 'running') return 'networkd';
  if (detection.presence === 'unresponsive') {
    throw new CniError(ErrorCode.TryAgainLater, 'systemd-networkd does not answer', detection.reason);
  }
  if (wanted === 'networkd') {
    throw new CniError(
      ErrorCode.PluginNotAvailable,
      'backend "networkd" chosen but systemd-networkd is not running',
      `${detection.reason}; start systemd-networkd or set "backend": "auto" or "netlink"`,
    );
  }
  return 'netlink';
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return '';
  }
}

const IN_PROCESS_IPAM = 'zone-ipam';

function ipamType(req: Request): string {
  return req.conf.ipam?.type ?? IN_PROCESS_IPAM;
}

function inProcess(req: Request): boolean {
  return ipamType(req) === IN_PROCESS_IPAM;
}

/** A command of zone-ipam in-process, or of the configured IPAM type as a delegated plugin. */
function inProcessOrDelegated<R extends Request>(command: 'DEL' | 'CHECK' | 'STATUS' | 'GC', run: (req: R) => Promise<void>) {
  return async (req: R): Promise<void> => {
    if (inProcess(req)) await run(req);
    else await delegate(ipamType(req), command, req.env, req.parsed);
  };
}

// `zone-ipam` runs in-process (same code, no second process); any other type (host-local,
// dhcp...) is delegated through CNI_PATH like the spec says.
const systemIpam: ZoneIpam = {
  prepareAdd(req) {
    if (!inProcess(req)) {
      const type = ipamType(req);
      findPlugin(type, req.env.path);
      return () => delegateAdd(type, req.env, req.parsed);
    }
    const config = loadIpamConfig(req.conf, req.env.args);
    return () => ipamAdd(req, config);
  },
  del: inProcessOrDelegated('DEL', ipamDel),
  check: inProcessOrDelegated('CHECK', ipamCheck),
  status: inProcessOrDelegated('STATUS', ipamStatus),
  gc: inProcessOrDelegated('GC', ipamGc),
};

const systemPorts: ZonePorts = {
  prepare(req) {
    if (!wantsPorts(req)) return false;
    portsRequest(req);
    return true;
  },
  recorded(req) {
    if (wantsPorts(req)) return true;
    try {
      return existsSync(statePath(loadPortsConfigForDel(req.conf).stateDir, portsOwner(req)));
    } catch {
      // A portsStateDir that does not pass the path rule never held a record: ADD refuses it when it publishes.
      return false;
    }
  },
  add: async (req, result) => void (await portsAdd(req, result)),
  del: (req) => portsDel(req),
  check: (req, result) => portsCheck(req, result),
  gc: async (req) => (wantsPorts(req) ? portsGc(req) : undefined),
};

const systemDns: ZoneDnsAccess = {
  setNames: async (zone, stateDir, owner, names, addresses) => void (await setOwnerNames(zone, owner, names, addresses, { stateDir })),
  removeNames: async (zone, stateDir, owner) => void (await removeOwnerNames(zone, owner, { stateDir })),
  pruneNames: async (zone, stateDir, network, valid) => void (await removeUnlistedOwners(zone, network, valid, { stateDir })),
  ensureServer: (server) => ensureZoneDns(server),
  stopServer: (zone, stateDir) => stopZoneDns(zone, stateDir),
  serverRuns: (zone, stateDir) => zoneDnsRuns(zone, stateDir),
  announceLink: (ifindex, servers, domain) => announceLinkDns({ ifindex, servers, domain }),
};
