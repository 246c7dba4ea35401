// The name server of a zone (`zone-dns`, the compiled executable) in namespaces of its own: a
// "host" holding the zone's gateway addresses 10.89.0.1/24 and fd89::1/64 on a veth to a
// "member" (10.89.0.2, fd89::2), and an "upstream" namespace (10.90.0.2) running a stub
// resolver. From the member, over UDP and TCP: A, AAAA and PTR of a name in the store, NXDOMAIN
// for an unknown one, a name outside the zone forwarded to the stub and relayed with the
// client's id, changes of the store seen at the next query; SIGTERM ends it with 0 and the port
// closed. A second server is handed its sockets by socket activation. The median latency of
// local and forwarded answers is printed (not asserted).
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { removeOwnerNames, setOwnerNames } from '../../lib/dns/names.js';
import { bundleCopies } from '../support/bundles.js';
import { addAddress, createSandbox, type Netns, nsenterArgs, nsExec, type Sandbox } from '../support/netns.js';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'nsenter', 'ss', 'python3']);
const copies = bundleCopies('zone-dns', ['zonectl']);

const GATEWAY = { v4: '10.89.0.1', v6: 'fd89::1' };
const MEMBER = { v4: '10.89.0.2', v6: 'fd89::2' };
const UPSTREAM = '10.90.0.2';
const OUTSIDE = { name: 'outside.example', address: '192.0.2.7' };
const web = { network: 'demo', containerId: 'c-web', ifname: 'eth0' };
const db = { machine: 'db' };

// The client, run with node in the member's namespace: each query over UDP or TCP, `repeat`
// times in a row (the median time is reported), with a random id it checks in the answer.
const CLIENT = `
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
import net from 'node:net';
const dnsPacket = createRequire(${JSON.stringify(`${repoRoot}/package.json`)})('dns-packet');
const queries = JSON.parse(process.argv[1]);
function udp(server, port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { socket.close(); reject(new Error('timeout')); }, 3000);
    socket.on('error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
    socket.on('message', (m) => { clearTimeout(timer); socket.close(); resolve(m); });
    socket.send(bytes, port, server);
  });
}
function tcp(server, port, bytes, halfClose) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server, port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('timeout')); }, 3000);
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { clearTimeout(timer); socket.end(); resolve(got.subarray(2, 2 + got.readUInt16BE(0))); }
    });
    const length = Buffer.alloc(2); length.writeUInt16BE(bytes.length);
    socket.write(Buffer.concat([length, bytes]));
    if (halfClose) socket.end();
  });
}
const results = [];
for (const q of queries) {
  const times = [];
  let result;
  for (let i = 0; i < (q.repeat ?? 1); i++) {
    const id = Math.floor(Math.random() * 65536);
    const bytes = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: q.name, type: q.type }] });
    const started = performance.now();
    try {
      const response = dnsPacket.decode(await (q.tcp ? tcp : udp)(q.server, q.port ?? 53, bytes, q.halfClose));
      times.push(performance.now() - started);
      result = {
        rcode: response.rcode,
        idMatches: response.id === id,
        aa: response.flag_aa,
        answers: response.answers.map((a) => a.data),
        authorities: response.authorities.map((a) => a.type),
      };
    } catch (e) {
      result = { error: e.code ?? e.message };
    }
  }
  times.sort((a, b) => a - b);
  results.push({ ...result, medianMs: times.length ? times[Math.floor(times.length / 2)] : undefined });
}
console.log(JSON.stringify(results));
`;

// The stub upstream: answers OUTSIDE over UDP and TCP, NXDOMAIN for anything else.
const STUB = `
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
import net from 'node:net';
const dnsPacket = createRequire(${JSON.stringify(`${repoRoot}/package.json`)})('dns-packet');
function answer(bytes) {
  const q = dnsPacket.decode(bytes);
  const question = q.questions[0];
  const known = question.name.toLowerCase() === ${JSON.stringify(OUTSIDE.name)} && question.type === 'A';
  return dnsPacket.encode({
    type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3), questions: q.questions,
    answers: known ? [{ type: 'A', name: question.name, ttl: 60, data: ${JSON.stringify(OUTSIDE.address)} }] : [],
  });
}
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(answer(m), r.port, r.address));
udp.bind(53, ${JSON.stringify(UPSTREAM)});
net.createServer((c) => {
  let got = Buffer.alloc(0);
  c.on('data', (chunk) => {
    got = Buffer.concat([got, chunk]);
    if (got.length >= 2 + got.readUInt16BE(0)) {
      const response = answer(got.subarray(2, 2 + got.readUInt16BE(0)));
      const length = Buffer.alloc(2); length.writeUInt16BE(response.length);
      c.end(Buffer.concat([length, response]));
    }
  });
}).listen(53, ${JSON.stringify(UPSTREAM)});
`;

// Binds UDP and TCP on each address at a port, puts them at descriptors 3… and execs the
// server with LISTEN_PID (its own pid: exec keeps it) and LISTEN_FDS, as systemd does.
const ACTIVATE = `
import os, socket, sys
addresses, port, argv = sys.argv[1].split(','), int(sys.argv[2]), sys.argv[3:]
sockets = []
for address in addresses:
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(family, kind)
        s.bind((address, port))
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        sockets.append(s)
for i, s in enumerate(sockets):
    if s.fileno() != 3 + i:
        os.dup2(s.fileno(), 3 + i)
    os.set_inheritable(3 + i, True)  # dup2 onto itself leaves Python's close-on-exec in place
os.environ['LISTEN_FDS'] = str(len(sockets))
os.environ['LISTEN_PID'] = str(os.getpid())
os.execv(argv[0], argv)
`;

interface Query {
  server: string;
  name: string;
  type: 'A' | 'AAAA' | 'PTR' | 'MX';
  tcp?: boolean;
  /** Over TCP, close the sending side right after the query. */
  halfClose?: boolean;
  port?: number;
  repeat?: number;
}

interface QueryResult {
  rcode?: string;
  idMatches?: boolean;
  aa?: boolean;
  answers?: string[];
  authorities?: string[];
  error?: string;
  medianMs?: number;
}

async function ask(member: Netns, queries: Query[]): Promise<QueryResult[]> {
  const { stdout } = await nsExec(member, process.execPath, ['--input-type=module', '-e', CLIENT, JSON.stringify(queries)]);
  return JSON.parse(stdout) as QueryResult[];
}

/** The answer's gist: rcode and data, as a test compares it. */
const gist = (r: QueryResult) => (r.error ? { error: r.error } : { rcode: r.rcode, answers: r.answers });

/** A process in `ns` (nsenter execs it: the pid is the program's), SIGKILLed at cleanup if still running. */
function startIn(sandbox: Sandbox, ns: Netns, command: string, args: string[]): ResultPromise<{ reject: false }> {
  const process_ = execa('nsenter', [...nsenterArgs(ns), command, ...args], { reject: false });
  sandbox.defer(async () => {
    process_.kill('SIGKILL');
    await process_;
  });
  return process_;
}

async function listenersOn(ns: Netns, port: number): Promise<string[]> {
  const { stdout } = await nsExec(ns, 'ss', ['-Hlnut', `sport = :${port}`]);
  return stdout.split('\n').filter(Boolean);
}

const reverse4 = (address: string) => `${address.split('.').reverse().join('.')}.in-addr.arpa`;
// fd89::2 spelled out in nibbles, lowest first.
const REVERSE_MEMBER6 = `${'fd890000000000000000000000000002'.split('').reverse().join('.')}.ip6.arpa`;

priv.describe('zone-dns: the name server of a zone, in namespaces', () => {
  let sandbox: Sandbox;
  let member: Netns;
  let scratch: string;
  let stateDir: string;
  let executable: string;

  beforeAll(async () => {
    if (!priv.canRun) return;
    const dir = await copies.dir();
    executable = join(dir, 'cni-zones');
    try {
      symlinkSync('cni-zones', join(dir, 'zone-dns'));
    } catch {
      // made by an earlier run of this process
    }
    scratch = makeTestTempDir('zone-dns');
    stateDir = join(scratch, 'dns');
    sandbox = await createSandbox();
    member = await sandbox.container('member');
    const upstream = await sandbox.container('upstream');
    const zoneLink = await sandbox.connect(sandbox.host, member);
    await addAddress(sandbox.host, zoneLink.a.ifname, `${GATEWAY.v4}/24`);
    await addAddress(sandbox.host, zoneLink.a.ifname, `${GATEWAY.v6}/64`);
    await addAddress(member, zoneLink.b.ifname, `${MEMBER.v4}/24`);
    await addAddress(member, zoneLink.b.ifname, `${MEMBER.v6}/64`);
    const upLink = await sandbox.connect(sandbox.host, upstream);
    await addAddress(sandbox.host, upLink.a.ifname, '10.90.0.1/24');
    await addAddress(upstream, upLink.b.ifname, `${UPSTREAM}/24`);
    sandbox.spawn(upstream, process.execPath, ['--input-type=module', '-e', STUB]);
    await poll('the stub upstream', 10_000, async () => ((await listenersOn(upstream, 53)).length === 2 ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    await sandbox?.cleanup();
    copies.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  priv.it(
    'answers its names, forwards the rest, follows the store, and ends on SIGTERM with the port closed',
    async () => {
      await setOwnerNames('demo', web, ['web'], [MEMBER.v4, MEMBER.v6], { stateDir });
      const server = startIn(sandbox, sandbox.host, join(executable, '..', 'zone-dns'), [
        '--zone',
        'demo',
        '--listen',
        GATEWAY.v4,
        '--listen',
        GATEWAY.v6,
        '--state-dir',
        stateDir,
        '--subnet',
        '10.89.0.0/24',
        '--subnet',
        'fd89::/64',
        '--upstream',
        UPSTREAM,
      ]);
      await poll('the server listening', 10_000, async () => ((await listenersOn(sandbox.host, 53)).length === 4 ? true : undefined));

      const local: Query[] = [
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A' },
        { server: GATEWAY.v6, name: 'web.demo.internal', type: 'AAAA' },
        { server: GATEWAY.v4, name: 'WEB.Demo.Internal', type: 'A' },
        { server: GATEWAY.v4, name: reverse4(MEMBER.v4), type: 'PTR' },
        { server: GATEWAY.v6, name: REVERSE_MEMBER6, type: 'PTR' },
        { server: GATEWAY.v4, name: 'nope.demo.internal', type: 'A' },
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'MX' },
        { server: GATEWAY.v4, name: reverse4('10.89.0.77'), type: 'PTR' },
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', tcp: true },
        { server: GATEWAY.v6, name: 'web.demo.internal', type: 'AAAA', tcp: true },
        { server: GATEWAY.v4, name: OUTSIDE.name, type: 'A' },
        { server: GATEWAY.v6, name: OUTSIDE.name, type: 'A', tcp: true },
        { server: GATEWAY.v4, name: 'unknown.example', type: 'A' },
        { server: GATEWAY.v4, name: OUTSIDE.name, type: 'A', tcp: true, halfClose: true },
      ];
      const results = await ask(member, local);
      expect(results.map(gist)).toEqual([
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [MEMBER.v6] },
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: ['web.demo.internal'] },
        { rcode: 'NOERROR', answers: ['web.demo.internal'] },
        { rcode: 'NXDOMAIN', answers: [] },
        { rcode: 'NOERROR', answers: [] },
        { rcode: 'NXDOMAIN', answers: [] },
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [MEMBER.v6] },
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
        { rcode: 'NXDOMAIN', answers: [] },
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
      ]);
      expect(results.every((r) => r.idMatches)).toBe(true);
      expect(results.slice(0, 10).every((r) => r.aa)).toBe(true);
      expect(results[5]?.authorities).toEqual(['SOA']);
      expect(results[10]?.aa).toBe(false);

      // The store changes under the running server: a new name answers, a removed one is gone.
      await setOwnerNames('demo', db, ['db'], ['10.89.0.3'], { stateDir });
      await removeOwnerNames('demo', web, { stateDir });
      expect(
        (
          await ask(member, [
            { server: GATEWAY.v4, name: 'db.demo.internal', type: 'A' },
            { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A' },
            { server: GATEWAY.v4, name: reverse4(MEMBER.v4), type: 'PTR' },
          ])
        ).map(gist),
      ).toEqual([
        { rcode: 'NOERROR', answers: ['10.89.0.3'] },
        { rcode: 'NXDOMAIN', answers: [] },
        { rcode: 'NXDOMAIN', answers: [] },
      ]);
      await removeOwnerNames('demo', db, { stateDir });
      expect((await ask(member, [{ server: GATEWAY.v4, name: 'db.demo.internal', type: 'A' }])).map(gist)).toEqual([
        { rcode: 'NXDOMAIN', answers: [] },
      ]);

      // Latency, from the member: medians of 50 queries in a row each.
      await setOwnerNames('demo', web, ['web'], [MEMBER.v4, MEMBER.v6], { stateDir });
      const [localUdp, localTcp, forwarded] = await ask(member, [
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', repeat: 50 },
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', tcp: true, repeat: 50 },
        { server: GATEWAY.v4, name: OUTSIDE.name, type: 'A', repeat: 50 },
      ]);
      expect([localUdp, localTcp, forwarded].map((r) => r && gist(r))).toEqual([
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
      ]);
      console.log(
        `zone-dns latency, median of 50 queries from a member namespace: local name ${localUdp?.medianMs?.toFixed(2)} ms over UDP, ` +
          `${localTcp?.medianMs?.toFixed(2)} ms over TCP (a new connection each); forwarded name ${forwarded?.medianMs?.toFixed(2)} ms (UDP, stub upstream)`,
      );

      process.kill(server.pid as number, 'SIGTERM');
      const ended = await server;
      expect({ exitCode: ended.exitCode, signal: ended.signal, stderr: ended.stderr }).toEqual({
        exitCode: 0,
        signal: undefined,
        stderr: '',
      });
      expect(await listenersOn(sandbox.host, 53)).toEqual([]);
      expect((await ask(member, [{ server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', tcp: true }]))[0]?.error).toBe('ECONNREFUSED');
      await removeOwnerNames('demo', web, { stateDir });
    },
    120_000,
  );

  priv.it(
    'serves the sockets socket activation hands it, UDP and TCP on both families, and refuses to forward with --no-forward',
    async () => {
      await setOwnerNames('demo', web, ['web'], [MEMBER.v4, MEMBER.v6], { stateDir });
      const port = 5353;
      const server = startIn(sandbox, sandbox.host, 'python3', [
        '-c',
        ACTIVATE,
        `${GATEWAY.v4},${GATEWAY.v6}`,
        String(port),
        executable,
        'zone-dns',
        '--zone',
        'demo',
        '--state-dir',
        stateDir,
        '--no-forward',
      ]);
      await poll('the activated server', 10_000, async () => ((await listenersOn(sandbox.host, port)).length === 4 ? true : undefined));
      const results = await ask(member, [
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', port },
        { server: GATEWAY.v6, name: 'web.demo.internal', type: 'AAAA', port },
        { server: GATEWAY.v4, name: 'web.demo.internal', type: 'A', port, tcp: true },
        { server: GATEWAY.v6, name: 'web.demo.internal', type: 'AAAA', port, tcp: true },
        { server: GATEWAY.v4, name: OUTSIDE.name, type: 'A', port },
      ]);
      expect(results.map(gist)).toEqual([
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [MEMBER.v6] },
        { rcode: 'NOERROR', answers: [MEMBER.v4] },
        { rcode: 'NOERROR', answers: [MEMBER.v6] },
        { rcode: 'REFUSED', answers: [] },
      ]);
      process.kill(server.pid as number, 'SIGTERM');
      const ended = await server;
      expect({ exitCode: ended.exitCode, stderr: ended.stderr }).toEqual({ exitCode: 0, stderr: '' });
      expect(await listenersOn(sandbox.host, port)).toEqual([]);
      await removeOwnerNames('demo', web, { stateDir });
    },
    60_000,
  );

  priv.it(
    'fails in one line without a stack trace: exit 2 for a wrong command line, 1 for an address it cannot bind',
    async () => {
      const run = (args: string[]) => nsExec(sandbox.host, executable, ['zone-dns', ...args], { reject: false });
      const usage = await run(['--zone', 'demo']);
      expect(usage.exitCode).toBe(2);
      expect(usage.stderr.split('\n')[0]).toBe('zone-dns[demo]: --listen is required without socket activation');
      const bad = await run(['--zone', 'demo', '--listen', '10.89.0.1', '--upstream', 'dns.example']);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/^zone-dns: invalid --upstream "dns.example"/);
      const unbindable = await run(['--zone', 'demo', '--listen', '10.77.0.1', '--state-dir', stateDir, '--no-forward']);
      expect({ exitCode: unbindable.exitCode, stderr: unbindable.stderr }).toEqual({
        exitCode: 1,
        stderr: 'zone-dns[demo]: cannot listen on udp 10.77.0.1:53: EADDRNOTAVAIL',
      });
    },
    60_000,
  );
});
