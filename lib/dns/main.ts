// The `zone-dns` role of the executable: the name server of one zone.
//
//   cni-zones zone-dns --zone NAME --listen ADDR [--listen ADDR…] [--port 53]
//                      [--state-dir /run/cni-zones/dns] [--domain internal] [--subnet CIDR…]
//                      [--upstream ADDR[:PORT]…] [--no-forward]
//
// It answers `<name>.<zone>.<domain>` from the zone's names store (<state-dir>/<zone>.json,
// names.ts) and for the systemd-nspawn machines on the zone's bridge `vz-<zone>` (machines.ts:
// `--network-zone=<zone>` machines, which never call the plugin; their addresses outside the
// `--subnet`s, when given, are left out), PTR for the addresses of both and of the `--subnet`s,
// and forwards every other query to the `--upstream`s, by default the nameservers of
// /etc/resolv.conf read at start (without our own addresses); `--no-forward` answers them
// REFUSED. UDP and TCP are served on each `--listen` address at `--port`.
//
// Socket activation: started with LISTEN_PID=<its pid> and LISTEN_FDS=n (a systemd .socket
// unit with ListenDatagram= and ListenStream= lines), it serves the n descriptors from 3 on as
// they are (datagram and stream sockets, IPv4 and IPv6) and binds nothing itself; `--listen`
// may then be left out, and the inherited sockets' addresses count as its own when upstreams
// are chosen.
//
// Runs until SIGTERM or SIGINT, then closes every socket and exits 0. Errors go to stderr, one
// line each, prefixed `zone-dns[<zone>]:`; a start that fails exits 1, a command line that is
// wrong exits 2. Nothing is written to stdout.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dnsNameProblem, zoneNameProblem } from '../names/index.js';
import { parseCidr, subnetOf, type Subnet } from '../ip/index.js';
import { bridgeName } from '../networkd/zone-files.js';
import { type InheritedSocket, inheritedSockets } from './activation.js';
import { DEFAULT_DNS_STATE_DIR, namesFilePath } from './names.js';
import { startZoneDns } from './server.js';
import { DNS_PORT, type Endpoint, formatEndpoint, nameserversOf, parseEndpoint, withoutOwn } from './upstreams.js';

const USAGE = `usage: cni-zones zone-dns --zone NAME --listen ADDR [--listen ADDR...] [--port 53]
         [--state-dir ${DEFAULT_DNS_STATE_DIR}] [--domain internal] [--subnet CIDR...]
         [--upstream ADDR[:PORT]...] [--no-forward]
  the name server of a zone: <name>.<zone>.<domain> from the zone's names store and for the
  nspawn machines on the bridge vz-<zone>, PTR for its subnets, every other name forwarded to the
  upstreams (default: /etc/resolv.conf's nameservers).
  With systemd socket activation (LISTEN_FDS), it serves the sockets it is given.
`;

const RESOLV_CONF = '/etc/resolv.conf';
const DEFAULT_DOMAIN = 'internal';

class UsageError extends Error {}

let prefix = 'zone-dns';
const log = (line: string) => {
  process.stderr.write(`${prefix}: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
};

interface Settings {
  zone: string;
  origin: string;
  port: number;
  listen: Endpoint[];
  stateDir: string;
  subnets: Subnet[];
  upstreams: Endpoint[] | undefined;
  forward: boolean;
}

function settingsFrom(args: string[]): Settings | 'help' {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      zone: { type: 'string' },
      listen: { type: 'string', multiple: true, default: [] },
      port: { type: 'string' },
      'state-dir': { type: 'string' },
      domain: { type: 'string' },
      subnet: { type: 'string', multiple: true, default: [] },
      upstream: { type: 'string', multiple: true, default: [] },
      'no-forward': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const zone = values.zone;
  if (zone === undefined) throw new UsageError('--zone is required');
  const zoneProblem = zoneNameProblem(zone);
  if (zoneProblem) throw new UsageError(`invalid zone name ${JSON.stringify(zone)}: ${zoneProblem}`);
  const domain = (values.domain ?? DEFAULT_DOMAIN).toLowerCase().replace(/\.$/, '');
  const domainProblem = dnsNameProblem(domain);
  if (domainProblem) throw new UsageError(`invalid --domain ${JSON.stringify(values.domain)}: ${domainProblem}`);
  const port = values.port === undefined ? DNS_PORT : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '53') || port < 1 || port > 65535) throw new UsageError(`invalid --port ${JSON.stringify(values.port)}`);
  const listen = values.listen.map((text) => {
    const endpoint = parseEndpoint(text.includes(':') ? `[${text}]` : text, port);
    if (!endpoint) throw new UsageError(`invalid --listen ${JSON.stringify(text)}: an IPv4 or IPv6 address`);
    return endpoint;
  });
  const subnets = values.subnet.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new UsageError(`invalid --subnet ${JSON.stringify(text)}: an address/prefix`);
    return subnetOf(cidr);
  });
  const upstreams =
    values.upstream.length === 0
      ? undefined
      : values.upstream.map((text) => {
          const endpoint = parseEndpoint(text);
          if (!endpoint) throw new UsageError(`invalid --upstream ${JSON.stringify(text)}: ADDR, ADDR:PORT or [ADDR]:PORT`);
          return endpoint;
        });
  return {
    zone,
    origin: `${zone.toLowerCase()}.${domain}`,
    port,
    listen,
    stateDir: values['state-dir'] ?? DEFAULT_DNS_STATE_DIR,
    subnets,
    upstreams,
    forward: !values['no-forward'],
  };
}

/** The upstreams asked for, or resolv.conf's; never one of our own endpoints. */
function chooseUpstreams(settings: Settings, own: readonly Pick<Endpoint, 'address' | 'port'>[]): Endpoint[] {
  if (!settings.forward) return [];
  let upstreams = settings.upstreams;
  if (upstreams === undefined) {
    let text = '';
    try {
      text = readFileSync(RESOLV_CONF, 'utf8');
    } catch (e) {
      log(`cannot read ${RESOLV_CONF}: ${(e as Error).message}`);
    }
    const found = nameserversOf(text);
    for (const skipped of found.skipped) log(`ignoring nameserver ${JSON.stringify(skipped)} of ${RESOLV_CONF}: not a plain address`);
    upstreams = found.upstreams;
  }
  const { kept, loops } = withoutOwn(upstreams, own);
  for (const loop of loops) log(`ignoring upstream ${formatEndpoint(loop)}: it is this server`);
  return kept;
}

async function run(): Promise<void> {
  let settings: Settings | 'help';
  let inherited: InheritedSocket[];
  try {
    settings = settingsFrom(process.argv.slice(2));
    if (settings === 'help') {
      process.stderr.write(USAGE);
      return;
    }
    prefix = `zone-dns[${settings.zone}]`;
    inherited = inheritedSockets(process.env, process.pid);
    if (inherited.length === 0 && settings.listen.length === 0) throw new UsageError('--listen is required without socket activation');
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(USAGE);
      process.exitCode = 2;
    } else process.exitCode = 1;
    return;
  }
  // Descriptors systemd passed are not for processes we might start.
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;

  const own = [...settings.listen, ...inherited];
  const server = await startZoneDns({
    origin: settings.origin,
    subnets: settings.subnets,
    storePath: namesFilePath(settings.zone, settings.stateDir),
    bridge: bridgeName(settings.zone),
    bind: inherited.length > 0 ? [] : settings.listen,
    inherited,
    upstreams: chooseUpstreams(settings, own),
    forward: settings.forward,
    log,
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`closing: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

process.on('uncaughtException', (e) => {
  log(`internal error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

run().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
