// Where a zone's name server sends the queries that are not its own: the resolvers named on
// the command line (`--upstream ADDR`, `ADDR:PORT`, `[ADDR6]:PORT`) or, by default, the
// nameservers of the host's /etc/resolv.conf as it was when the server started. An upstream
// that is one of the server's own listening addresses is left out: it would send each query
// back to us, forever. 127.0.0.53 (systemd-resolved's stub) is kept: resolved sends a name of
// `<zone>.internal` to us only by that routing domain, never what we forward.
import { canonicalAddress, familyOf, formatHostPort, type IpFamily } from '../ip/index.js';

export interface Endpoint {
  /** Canonical address text. */
  address: string;
  port: number;
  family: IpFamily;
}

export const DNS_PORT = 53;

/** `ADDR`, `ADDR:PORT` (IPv4) or `[ADDR]:PORT`; undefined when it is none of them. */
export function parseEndpoint(text: string, defaultPort = DNS_PORT): Endpoint | undefined {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if (/^[^:]+:\d+$/.test(text)) {
    [host = '', portText] = text.split(':');
  }
  const address = canonicalAddress(host);
  const family = familyOf(host);
  if (address === undefined || family === undefined || (bracketed && family !== 6)) return undefined;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address, port, family };
}

/** `10.0.0.1:53`, `[fd00::1]:53`. */
export function formatEndpoint(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return formatHostPort(endpoint.address, endpoint.port);
}

/**
 * The `nameserver` lines of a resolv.conf, in order, as endpoints on port 53; lines that are not
 * an address (a scoped link-local address included: it names an interface of the host) are
 * returned apart, for a warning.
 */
export function nameserversOf(resolvConf: string): { upstreams: Endpoint[]; skipped: string[] } {
  const upstreams: Endpoint[] = [];
  const skipped: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const [keyword, value] = line.trim().split(/\s+/);
    if (keyword !== 'nameserver' || value === undefined) continue;
    const endpoint = value.includes('%') ? undefined : parseEndpoint(value.includes(':') ? `[${value}]` : value);
    if (endpoint) upstreams.push(endpoint);
    else skipped.push(value);
  }
  return { upstreams, skipped };
}

/** The upstreams that are not `own` (the server's listening endpoints), and those that are. */
export function withoutOwn(
  upstreams: readonly Endpoint[],
  own: readonly Pick<Endpoint, 'address' | 'port'>[],
): { kept: Endpoint[]; loops: Endpoint[] } {
  const isOwn = (u: Endpoint) => own.some((o) => o.port === u.port && o.address === u.address);
  return { kept: upstreams.filter((u) => !isOwn(u)), loops: upstreams.filter(isOwn) };
}
