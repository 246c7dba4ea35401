// Telling systemd-resolved which name server answers a domain on one link, as networkd does for
// the links it manages (`DNS=`, `Domains=~`): SetLinkDNS with the servers, SetLinkDomains with the
// domain as a routing-only one (only names below it go there), and SetLinkDefaultRoute(false), in
// one batch on one D-Bus connection. The zone plugin does this for a bridge it made over netlink.
//
// What systemd-resolved 252 does with it (test/e2e/zone-dns-resolved.test.ts):
// - It keeps the settings in /run/systemd/resolve/netif/<ifindex> and reads them back when it
//   restarts (a link's state goes with the link). A resolved started after the call never heard
//   of it: the next ADD, or `zonectl repair`, tells it again (the calls are idempotent).
// - A link networkd manages is refused (LinkBusy): networkd gives resolved that link's DNS itself,
//   so that is an outcome here, not a failure.
// - A link with only routing-only domains is no default route anyway; saying so keeps every other
//   name away from the zone's server even if resolved's rule changes, and the zone's server
//   forwards those to the host's resolvers, which may be resolved: a loop.
// - It only asks a link's servers while the link is up with a carrier, i.e. while a member's
//   veth is on the bridge.
//
// The resolved on the system bus serves the network namespace of PID 1 (it is a system service):
// from any other namespace (a test's, a nested runtime's) an ifindex would name another link
// there, so nothing is sent.
import { callMethods, DbusError, DbusErrorName, type DbusMethodCall } from '../dbus/call.js';
import { addressBytes, afOf, parseAddress } from '../ip/index.js';
import { waitLimit } from '../system/budget.js';
import { inOurNetworkNamespace } from '../system/proc.js';

const resolvedBusName = 'org.freedesktop.resolve1';
const resolvedObjectPath = '/org/freedesktop/resolve1';
const resolvedManager = 'org.freedesktop.resolve1.Manager';
const defaultTimeoutMs = 2_000;

/** resolved's own error names (src/resolve/resolved-bus.h). */
const ResolvedErrorName = {
  LinkBusy: 'org.freedesktop.resolve1.LinkBusy',
  NoSuchLink: 'org.freedesktop.resolve1.NoSuchLink',
} as const;

export interface LinkDns {
  ifindex: number;
  /** The name servers' addresses, IPv4 and IPv6. */
  servers: readonly string[];
  /** Only names below it go to `servers` (`~domain`). */
  domain: string;
}

export interface LinkDnsOptions {
  /** The system bus socket (default: DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket). */
  busSocket?: string;
  /** Bound for the batch of calls. */
  timeoutMs?: number;
  /** Whether the resolved on the bus serves our network namespace (default: PID 1's is ours). */
  servesOurNamespace?: () => boolean;
  /** The D-Bus client (unit tests hand in a fake). */
  call?: typeof callMethods;
}

/**
 * - `announced`: resolved has the link's servers and domain.
 * - `no-resolved`: no resolved on the bus (not installed, stopped, or no bus): nothing to tell.
 * - `other-namespace`: the resolved on the bus serves another network namespace than ours.
 * - `networkd-manages`: resolved takes this link's DNS from networkd (LinkBusy), from its .network file.
 */
export type LinkDnsOutcome = 'announced' | 'no-resolved' | 'other-namespace' | 'networkd-manages';

/**
 * - `no-such-link`: resolved does not know the ifindex
 * - `denied`: the caller may not change resolved's settings
 * - `timeout`: no reply in time
 * - `failed`: any other error
 */
export type ResolvedReason = 'no-such-link' | 'denied' | 'timeout' | 'failed';

/** A call resolved refused or did not answer. Never a plugin's failure: its callers report it and go on. */
export class ResolvedError extends Error {
  constructor(
    readonly reason: ResolvedReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ResolvedError';
  }
}

const absentNames: ReadonlySet<string> = new Set([DbusErrorName.NoServer, DbusErrorName.ServiceUnknown, DbusErrorName.NameHasNoOwner]);

const reasonByName: Readonly<Record<string, ResolvedReason>> = {
  [ResolvedErrorName.NoSuchLink]: 'no-such-link',
  'org.freedesktop.DBus.Error.AccessDenied': 'denied',
  'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired': 'denied',
  [DbusErrorName.Timeout]: 'timeout',
  [DbusErrorName.NoReply]: 'timeout',
};

function managerCall(member: string, signature: string, args: DbusMethodCall['args']): DbusMethodCall {
  return { destination: resolvedBusName, path: resolvedObjectPath, interface: resolvedManager, member, signature, args, noAutoStart: true };
}

/** `a(iay)`: each server as (address family, its bytes). */
function serverStructs(servers: readonly string[]): [number, Buffer][] {
  return servers.map((text) => {
    const address = parseAddress(text);
    if (address === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
    return [afOf(address.family), addressBytes(address)];
  });
}

/** The three calls that give the link its servers and its routing-only domain. */
export function linkDnsCalls(link: LinkDns): DbusMethodCall[] {
  if (!Number.isInteger(link.ifindex) || link.ifindex <= 0) throw new TypeError(`not an interface index: ${link.ifindex}`);
  return [
    managerCall('SetLinkDNS', 'ia(iay)', [link.ifindex, serverStructs(link.servers)]),
    managerCall('SetLinkDomains', 'ia(sb)', [link.ifindex, [[link.domain, true]]]),
    managerCall('SetLinkDefaultRoute', 'ib', [link.ifindex, false]),
  ];
}

function resolvedError(error: DbusError, link: LinkDns): ResolvedError {
  const what = `systemd-resolved did not take ${link.servers.join(', ')} for ~${link.domain} on link ${link.ifindex}`;
  return new ResolvedError(reasonByName[error.errorName] ?? 'failed', `${what}: ${error.message}`, { cause: error });
}

/** Give resolved the link's name servers and routing-only domain; see LinkDnsOutcome. */
export async function announceLinkDns(link: LinkDns, options: LinkDnsOptions = {}): Promise<LinkDnsOutcome> {
  const calls = linkDnsCalls(link);
  if (!(options.servesOurNamespace ?? (() => inOurNetworkNamespace(1)))()) return 'other-namespace';
  try {
    await (options.call ?? callMethods)(calls, {
      socketPath: options.busSocket,
      timeoutMs: waitLimit(options.timeoutMs ?? defaultTimeoutMs),
    });
    return 'announced';
  } catch (error) {
    if (!(error instanceof DbusError)) throw error;
    if (absentNames.has(error.errorName)) return 'no-resolved';
    if (error.errorName === ResolvedErrorName.LinkBusy) return 'networkd-manages';
    // SetLinkDNS and SetLinkDomains are far older than SetLinkDefaultRoute (systemd 246): only the
    // last can be unknown, and without it the routing-only domain keeps the link no default route.
    if (error.errorName === 'org.freedesktop.DBus.Error.UnknownMethod' && error.message.includes('SetLinkDefaultRoute')) {
      return 'announced';
    }
    throw resolvedError(error, link);
  }
}
