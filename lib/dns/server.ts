// The name server of a zone: UDP and TCP sockets on the zone's gateway addresses, the names
// store read again whenever it changes, the zone's nspawn machines (machines.ts), answers from
// answer.ts, and forwarding to upstream resolvers for every other name. main.ts (the `zone-dns`
// role) builds its options from the command line; a test or another role may call startZoneDns
// directly:
//
//   const server = await startZoneDns({ origin, subnets, storePath, bridge, bind, inherited, upstreams, forward, log });
//   …
//   await server.close();   // every socket closed, pending forwards dropped
//
// The names answered are the store's and those of the machines on the zone's `bridge`, together:
// a label both hold answers both owners' addresses, as the store does for several owners. The
// machines are looked for when the server starts and again, at most once every
// MACHINES_REFRESH_MS, when a query comes and the last look is older: a machine that came
// answers, and one that left stops answering, within a second, while a flood of queries costs
// at most one look a second and an idle server none. A look that fails (no permission, no
// netlink) is logged once and the store alone answers until one succeeds.
//
// Each local answer is computed synchronously when its query arrives: one lstat of the store
// (re-read only when its inode, size or mtime changed), at most once a second a look at the
// machines (a fraction of a millisecond: machines.ts), a map lookup and an encode, well
// within a millisecond. Forwarding over UDP uses a fresh socket per query (a new random source
// port) and a new random id, checks that the answer comes from the upstream asked with that id,
// and relays it with the client's id; an upstream silent for FORWARD_TIMEOUT_MS gives way to
// the next; when none answers the client gets SERVFAIL. TCP queries are forwarded over TCP.
// What the server holds is bounded: MAX_FORWARDS queries in flight, MAX_TCP_CONNECTIONS
// connections, each closed after TCP_IDLE_MS without a query.
import dgram from 'node:dgram';
import { lstatSync } from 'node:fs';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { type AnswerContext, answerQuery, buildNameTable, failureResponse, type NameTable, RCODE } from './answer.js';
import type { InheritedSocket } from './activation.js';
import { MACHINED_STATE_DIR, scanZoneMachines } from './machines.js';
import { type NameEntry, readNamesFile } from './names.js';
import { type Endpoint, formatEndpoint } from './upstreams.js';
import type { Subnet } from '../ip/index.js';
import { Rtnl } from '../rtnl/client.js';

const FORWARD_TIMEOUT_MS = 1500;
const MAX_UPSTREAM_TRIES = 3;
const MAX_FORWARDS = 512;
const MAX_TCP_CONNECTIONS = 128;
const MAX_TCP_PENDING = 32;
const TCP_IDLE_MS = 10_000;
const MAX_DNS_MESSAGE = 0xffff;
/** How old the last look at the zone's machines may be when a query is answered. */
const MACHINES_REFRESH_MS = 1000;

export interface ZoneDnsOptions {
  /** `<zone>.<domain>`, lowercase, without a trailing dot. */
  origin: string;
  subnets: readonly Subnet[];
  /** The zone's names store (names.ts); a missing file is a zone without names. */
  storePath: string;
  /** The zone's bridge (`vz-<zone>`), whose nspawn machines are answered too; none: the store alone. */
  bridge?: string;
  /** systemd-machined's state directory (machines.ts); default /run/systemd/machines. */
  machinedDir?: string;
  /** Addresses and ports to bind, UDP and TCP each. */
  bind: readonly Omit<Endpoint, 'family'>[];
  /** Sockets handed over by socket activation (activation.ts), served as they are. */
  inherited: readonly InheritedSocket[];
  upstreams: readonly Endpoint[];
  forward: boolean;
  /** One line per error, without a newline. */
  log: (line: string) => void;
}

export interface ZoneDnsServer {
  /** What it serves: `udp 10.89.0.1:53`, `tcp [fd89::1]:53`, … */
  readonly listening: readonly string[];
  close(): Promise<void>;
}

/** Bind (or take over) every socket, then serve; a socket that cannot be had fails the start. */
export async function startZoneDns(options: ZoneDnsOptions): Promise<ZoneDnsServer> {
  const machines = options.bridge === undefined ? undefined : await MachinesView.open(options.bridge, options);
  const names = new NamesView(new StoreView(options.storePath, options.log), machines);
  const forwarder = new Forwarder(options.upstreams, options.log);
  if (options.forward && options.upstreams.length === 0) options.log('no upstream resolver: names outside the zone are answered SERVFAIL');
  // Read the store and look at the machines now: the first query should not pay for it.
  names.current();
  const contextFor = (transport: 'udp' | 'tcp'): AnswerContext => {
    const { table, serial } = names.current();
    return { origin: options.origin, subnets: options.subnets, names: table, forward: options.forward, transport, serial };
  };
  const closers: (() => Promise<void>)[] = [];
  const listening: string[] = [];
  const closeAll = () => Promise.all(closers.map((close) => close().catch(() => undefined))).then(() => undefined);
  try {
    for (const endpoint of options.bind) {
      closers.push(await serveUdp(await bindUdp(endpoint), contextFor, forwarder, options.log));
      listening.push(`udp ${formatEndpoint(endpoint)}`);
      closers.push(serveTcp(await listenTcp(endpoint), contextFor, forwarder, options.log));
      listening.push(`tcp ${formatEndpoint(endpoint)}`);
    }
    for (const socket of options.inherited) {
      if (socket.transport === 'udp') closers.push(await serveUdp(await adoptUdp(socket), contextFor, forwarder, options.log));
      else closers.push(serveTcp(await adoptTcp(socket), contextFor, forwarder, options.log));
      listening.push(`${socket.transport} ${formatEndpoint(socket)} (fd ${socket.fd})`);
    }
  } catch (e) {
    await closeAll();
    machines?.close();
    throw e;
  }
  return {
    listening,
    async close() {
      forwarder.stop();
      await closeAll();
      machines?.close();
    },
  };
}

/** What a view holds now; `version` changes whenever `entries` do. */
interface Entries {
  entries: readonly NameEntry[];
  version: number;
}

/** The store's and the machines' names as one table, built again when either changed. */
class NamesView {
  private table: NameTable = buildNameTable([]);
  private serial = 1;
  private versions = '';

  constructor(
    private readonly store: StoreView,
    private readonly machines: MachinesView | undefined,
  ) {}

  current(): { table: NameTable; serial: number } {
    const store = this.store.current();
    const machines = this.machines?.current() ?? { entries: [], version: 0 };
    const versions = `${store.version}:${machines.version}`;
    if (versions !== this.versions) {
      this.versions = versions;
      this.table = buildNameTable([...store.entries, ...machines.entries]);
      // The SOA serial: the store's mtime in seconds, or one more than before when that did not move.
      this.serial = Math.max(this.serial + 1, store.mtimeSeconds) >>> 0;
    }
    return { table: this.table, serial: this.serial };
  }
}

/** The store's entries, read again when the file changed (another inode, size or mtime). */
class StoreView {
  private key = '';
  private entries: NameEntry[] = [];
  private version = 0;
  private mtimeSeconds = 0;

  constructor(
    private readonly path: string,
    private readonly log: (line: string) => void,
  ) {}

  current(): Entries & { mtimeSeconds: number } {
    let key = 'absent';
    let mtimeSeconds = 0;
    try {
      const stat = lstatSync(this.path, { bigint: true, throwIfNoEntry: false });
      if (stat) {
        key = `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
        mtimeSeconds = Number(stat.mtimeNs / 1_000_000_000n);
      }
    } catch (e) {
      key = `error:${(e as Error).message}`;
    }
    if (key !== this.key) {
      this.key = key;
      try {
        this.entries = readNamesFile(this.path);
        this.mtimeSeconds = mtimeSeconds;
        this.version++;
      } catch (e) {
        // Keep answering from the last entries that could be read; say so once per change of the file.
        this.log(`cannot use the names store: ${describe(e)}`);
      }
    }
    return { entries: this.entries, version: this.version, mtimeSeconds: this.mtimeSeconds };
  }
}

/**
 * The names of the nspawn machines on the zone's bridge (machines.ts), looked for again when a
 * query finds the last look older than MACHINES_REFRESH_MS. Each problem is logged once while
 * it lasts; a failed look leaves no machine names.
 */
class MachinesView {
  private entries: NameEntry[] = [];
  private key = '';
  private version = 0;
  private lookedAt = Number.NEGATIVE_INFINITY;
  private said = new Set<string>();

  private constructor(
    private readonly rtnl: Rtnl | undefined,
    private readonly bridge: string,
    private readonly options: Pick<ZoneDnsOptions, 'subnets' | 'machinedDir' | 'log'>,
  ) {}

  /** Strict checking: the machines' addresses are read from their namespaces (machines.ts). */
  static async open(bridge: string, options: Pick<ZoneDnsOptions, 'subnets' | 'machinedDir' | 'log'>): Promise<MachinesView> {
    try {
      return new MachinesView(await Rtnl.open(undefined, { strictChecking: true }), bridge, options);
    } catch (e) {
      options.log(`the zone's nspawn machines are not answered: ${describe(e)}`);
      return new MachinesView(undefined, bridge, options);
    }
  }

  current(now = performance.now()): Entries {
    if (this.rtnl !== undefined && now - this.lookedAt >= MACHINES_REFRESH_MS) {
      this.lookedAt = now;
      this.look(this.rtnl);
    }
    return { entries: this.entries, version: this.version };
  }

  close(): void {
    this.rtnl?.close();
  }

  private look(rtnl: Rtnl): void {
    let entries: NameEntry[] = [];
    let problems: string[];
    try {
      const scan = scanZoneMachines(rtnl.socket, this.bridge, {
        subnets: this.options.subnets,
        machinedDir: this.options.machinedDir ?? MACHINED_STATE_DIR,
      });
      entries = scan.machines.flatMap((m) =>
        m.label === undefined ? [] : [{ name: m.label, addresses: m.addresses, owner: { machine: m.machine } }],
      );
      problems = scan.problems;
    } catch (e) {
      problems = [`cannot look for the nspawn machines on ${this.bridge}: ${describe(e)}`];
    }
    this.sayOnce(problems);
    const key = JSON.stringify(entries);
    if (key !== this.key) {
      this.key = key;
      this.entries = entries;
      this.version++;
    }
  }

  /** Log the problems not logged before; forget those gone, so they are logged again should they return. */
  private sayOnce(problems: readonly string[]): void {
    for (const problem of problems) if (!this.said.has(problem)) this.options.log(problem);
    this.said = new Set(problems);
  }
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const details = (e as { details?: unknown }).details;
  return typeof details === 'string' && details !== '' ? `${e.message}: ${details}` : e.message;
}

function udpType(family: 4 | 6): dgram.SocketType {
  return family === 6 ? 'udp6' : 'udp4';
}

function bindUdp(endpoint: Omit<Endpoint, 'family'>): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: udpType(endpoint.address.includes(':') ? 6 : 4) });
  return new Promise((resolve, reject) => {
    socket.once('error', (e) => {
      socket.close();
      reject(new Error(`cannot listen on udp ${formatEndpoint(endpoint)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    socket.bind({ address: endpoint.address, port: endpoint.port, exclusive: true }, () => resolve(socket));
  });
}

function adoptUdp(inherited: InheritedSocket): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: udpType(inherited.family) });
  return new Promise((resolve, reject) => {
    socket.once('error', (e) => reject(new Error(`cannot take over descriptor ${inherited.fd} (udp): ${e.message}`)));
    socket.bind({ fd: inherited.fd }, () => resolve(socket));
  });
}

// Half-open: a client may send its query and close its side before a forwarded answer is back.
const TCP_SERVER_OPTIONS = { allowHalfOpen: true };

function listenTcp(endpoint: Omit<Endpoint, 'family'>): Promise<net.Server> {
  const server = net.createServer(TCP_SERVER_OPTIONS);
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      server.close();
      reject(new Error(`cannot listen on tcp ${formatEndpoint(endpoint)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    server.listen({ host: endpoint.address, port: endpoint.port, exclusive: true }, () => resolve(server));
  });
}

function adoptTcp(inherited: InheritedSocket): Promise<net.Server> {
  const server = net.createServer(TCP_SERVER_OPTIONS);
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot take over descriptor ${inherited.fd} (tcp): ${e.message}`)));
    server.listen({ fd: inherited.fd }, () => resolve(server));
  });
}

async function serveUdp(
  socket: dgram.Socket,
  contextFor: (transport: 'udp') => AnswerContext,
  forwarder: Forwarder,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  socket.removeAllListeners('error');
  socket.on('error', (e) => log(`udp socket: ${e.message}`));
  const send = (response: Buffer, rinfo: dgram.RemoteInfo) =>
    socket.send(response, rinfo.port, rinfo.address, (e) => {
      if (e && !closed) log(`cannot answer ${formatEndpoint(rinfo)}: ${e.message}`);
    });
  let closed = false;
  socket.on('message', (query, rinfo) => {
    const outcome = answerQuery(query, contextFor('udp'));
    if (outcome.kind === 'answer') send(outcome.response, rinfo);
    else if (outcome.kind === 'forward') {
      void forwarder.udp(query).then((response) => {
        if (!closed && response) send(response, rinfo);
      });
    }
  });
  return () =>
    new Promise<void>((resolve) => {
      closed = true;
      socket.close(() => resolve());
    });
}

function serveTcp(
  server: net.Server,
  contextFor: (transport: 'tcp') => AnswerContext,
  forwarder: Forwarder,
  log: (line: string) => void,
): () => Promise<void> {
  server.maxConnections = MAX_TCP_CONNECTIONS;
  server.removeAllListeners('error');
  server.on('error', (e) => log(`tcp listener: ${e.message}`));
  const connections = new Set<net.Socket>();
  server.on('connection', (connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    connection.on('error', () => connection.destroy()); // a client gone midway is no error of ours
    connection.setTimeout(TCP_IDLE_MS, () => connection.destroy());
    let buffered = Buffer.alloc(0);
    let pending = 0;
    let ended = false;
    const write = (response: Buffer) => {
      if (connection.destroyed || !connection.writable) return;
      const length = Buffer.alloc(2);
      length.writeUInt16BE(response.length);
      connection.write(Buffer.concat([length, response]));
    };
    // The client is done sending: close our side once its last answer is written.
    const endWhenDone = () => {
      if (ended && pending === 0 && !connection.destroyed) connection.end();
    };
    connection.on('end', () => {
      ended = true;
      endWhenDone();
    });
    connection.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const query = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + query.length);
        const outcome = answerQuery(query, contextFor('tcp'));
        if (outcome.kind === 'answer') write(outcome.response);
        else if (outcome.kind === 'forward') {
          if (++pending > MAX_TCP_PENDING) {
            connection.destroy();
            return;
          }
          void forwarder.tcp(query).then((response) => {
            pending--;
            if (response) write(response);
            endWhenDone();
          });
        }
      }
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const connection of connections) connection.destroy();
      server.close(() => resolve());
    });
}

/** Queries to the upstreams, in order, each bounded in time; SERVFAIL when none answers. */
class Forwarder {
  private inFlight = 0;
  private stopped = false;
  private readonly live = new Set<{ stop(): void }>();

  constructor(
    private readonly upstreams: readonly Endpoint[],
    private readonly log: (line: string) => void,
  ) {}

  stop(): void {
    this.stopped = true;
    for (const attempt of this.live) attempt.stop();
  }

  /** The upstream's response with the client's id, SERVFAIL, or undefined (nothing to send). */
  udp(query: Buffer): Promise<Buffer | undefined> {
    return this.relay(query, (upstream) => this.askUdp(query, upstream));
  }

  tcp(query: Buffer): Promise<Buffer | undefined> {
    return this.relay(query, (upstream) => this.askTcp(query, upstream));
  }

  private async relay(query: Buffer, ask: (upstream: Endpoint) => Promise<Buffer>): Promise<Buffer | undefined> {
    if (this.stopped) return undefined;
    if (this.inFlight >= MAX_FORWARDS) return failureResponse(query, RCODE.SERVFAIL);
    this.inFlight++;
    try {
      const problems: string[] = [];
      for (const upstream of this.upstreams.slice(0, MAX_UPSTREAM_TRIES)) {
        try {
          const response = await ask(upstream);
          response.writeUInt16BE(query.readUInt16BE(0), 0); // the client's id
          return response;
        } catch (e) {
          if (this.stopped) return undefined;
          problems.push(`${formatEndpoint(upstream)} ${(e as Error).message}`);
        }
      }
      if (problems.length > 0) this.log(`no upstream answered: ${problems.join('; ')}`);
      return failureResponse(query, RCODE.SERVFAIL);
    } finally {
      this.inFlight--;
    }
  }

  /** One exchange over a new UDP socket, under a new random id; only the upstream's own answer counts. */
  private askUdp(query: Buffer, upstream: Endpoint): Promise<Buffer> {
    const id = randomInt(0x10000);
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(id, 0);
    const socket = dgram.createSocket({ type: udpType(upstream.family) });
    return this.attempt<Buffer>((resolve, reject) => {
      socket.on('error', (e) => reject(new Error((e as NodeJS.ErrnoException).code ?? e.message)));
      socket.on('message', (response, rinfo) => {
        const fromUpstream = rinfo.address === upstream.address && rinfo.port === upstream.port;
        if (fromUpstream && response.length >= 12 && response.readUInt16BE(0) === id && (response.readUInt16BE(2) & 0x8000) !== 0) {
          resolve(response);
        }
      });
      socket.send(outgoing, upstream.port, upstream.address, (e) => {
        if (e) reject(new Error((e as NodeJS.ErrnoException).code ?? e.message));
      });
      return () => socket.close();
    });
  }

  /** One exchange over a new TCP connection: a length-prefixed query, a length-prefixed answer. */
  private askTcp(query: Buffer, upstream: Endpoint): Promise<Buffer> {
    const connection = net.connect({ host: upstream.address, port: upstream.port });
    return this.attempt<Buffer>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      connection.on('error', (e) => reject(new Error((e as NodeJS.ErrnoException).code ?? e.message)));
      connection.on('end', () => reject(new Error('closed the connection without an answer')));
      connection.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          resolve(Buffer.from(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
        }
      });
      const length = Buffer.alloc(2);
      length.writeUInt16BE(Math.min(query.length, MAX_DNS_MESSAGE));
      connection.write(Buffer.concat([length, query]));
      return () => connection.destroy();
    });
  }

  /** Run one exchange with a deadline; `start` returns how to release what it opened. */
  private attempt<T>(start: (resolve: (value: T) => void, reject: (e: Error) => void) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let release = () => {};
      const entry = { stop: () => finish(() => reject(new Error('stopped'))) };
      const timer = setTimeout(() => finish(() => reject(new Error(`did not answer within ${FORWARD_TIMEOUT_MS} ms`))), FORWARD_TIMEOUT_MS);
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.live.delete(entry);
        release();
        settle();
      };
      this.live.add(entry);
      try {
        release = start(
          (value) => finish(() => resolve(value)),
          (e) => finish(() => reject(e)),
        );
      } catch (e) {
        finish(() => reject(e as Error));
      }
      if (done) release();
    });
  }
}
