// zone-ipam as a runtime runs it: the bundled dist/bin/zone-ipam, one process per command,
// against temp stores; and side by side with the reference host-local on one store (taking
// over its allocations, and both running at once without handing out an address twice).
// IPAM needs no network namespace: nothing here touches the network, only temp files.

import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { type PluginRun, runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { RELEASE_VERSION } from '../../lib/release/version.js';

const ZONE_IPAM = join(repoRoot, 'dist/bin/zone-ipam');
const HOST_LOCAL = '/usr/lib/cni/host-local';
// host-local 1.1.1 (Debian 12) speaks up to 1.0.0
const VERSION = '1.0.0';
const withHostLocal = privileged([HOST_LOCAL, 'flock']);
const withMounts = privileged(['unshare', 'mount']);

let tempRoot: string;
let counter = 0;

beforeAll(async () => {
  await execa('node', ['scripts/build.mjs'], { cwd: repoRoot });
  tempRoot = makeTestTempDir('zone-ipam-e2e');
}, 60_000);

afterAll(() => {
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
});

interface Network {
  dataDir: string;
  store: string;
  conf(ipamType?: string, extra?: object): object;
}

function network(ipam: object = { ranges: [[{ subnet: '10.89.0.0/24' }]] }, cniVersion = VERSION): Network {
  const dataDir = join(tempRoot, `data${++counter}`);
  return {
    dataDir,
    store: join(dataDir, 'zt'),
    conf: (ipamType = 'zone-ipam', extra = {}) => ({
      cniVersion,
      name: 'zt',
      type: 'bridge',
      ipam: { type: ipamType, dataDir, ...ipam },
      ...extra,
    }),
  };
}

type Call = Omit<PluginRun, 'command' | 'stdin'> & { stdin: object | string };

const runtimeDefaults = { netns: '/var/run/netns/zt-test', ifname: 'eth0', path: '/usr/lib/cni' };

function run(executable: string, command: string, call: Call) {
  return runPlugin(executable, { ...runtimeDefaults, ...call, command });
}

const ipam = (command: string, call: Call) => run(ZONE_IPAM, command, call);
const hostLocal = (command: string, call: Call) => run(HOST_LOCAL, command, call);

async function addOk(executable: string, net: Network, containerId: string, extra: Partial<Call> = {}): Promise<string[]> {
  const type = executable === HOST_LOCAL ? 'host-local' : 'zone-ipam';
  const outcome = await run(executable, 'ADD', { containerId, stdin: net.conf(type), ...extra });
  expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(0);
  return (outcome.json as { ips: { address: string }[] }).ips.map((ip) => ip.address);
}

/** The store's allocations as address → "<id>\r\n<ifname>". */
function storeContents(net: Network): Record<string, string> {
  if (!existsSync(net.store)) return {};
  const names = readdirSync(net.store).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.'));
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(net.store, n), 'utf8')]));
}

function expectError(outcome: { exitCode: number | undefined; json: unknown; stdout: string }, code: number, msg?: string | RegExp) {
  expect(outcome.exitCode, outcome.stdout).toBe(1);
  const error = outcome.json as { code: number; msg: string };
  expect(error.code, outcome.stdout).toBe(code);
  if (msg) expect(error.msg).toMatch(msg);
}

describe('zone-ipam executable', () => {
  it('answers VERSION', async () => {
    const outcome = await ipam('VERSION', { stdin: { cniVersion: '1.1.0' } });
    expect(outcome.json).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
      cniZonesVersion: RELEASE_VERSION,
    });
  });

  it('runs ADD, CHECK, DEL, GC and STATUS the way a runtime calls them', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]], routes: [{ dst: '0.0.0.0/0' }] }, '1.1.0');
    const add = await ipam('ADD', { containerId: 'ctr1', stdin: net.conf() });
    expect(add.exitCode, add.stdout).toBe(0);
    expect(add.json).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.89.0.2/24', gateway: '10.89.0.1' },
        { address: 'fd89::2/64', gateway: 'fd89::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    expect(storeContents(net)).toEqual({ '10.89.0.2': 'ctr1\r\neth0', 'fd89::2': 'ctr1\r\neth0' });

    const check = await ipam('CHECK', { containerId: 'ctr1', stdin: net.conf('zone-ipam', { prevResult: add.json }) });
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.stdout).toBe('');

    const status = await ipam('STATUS', { stdin: net.conf() });
    expect(status.exitCode, status.stdout).toBe(0);

    await addOk(ZONE_IPAM, net, 'ctr2');
    const gc = await ipam('GC', {
      stdin: net.conf('zone-ipam', { 'cni.dev/valid-attachments': [{ containerID: 'ctr2', ifname: 'eth0' }] }),
    });
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect(Object.keys(storeContents(net)).sort()).toEqual(['10.89.0.3', 'fd89::3']);

    const del = await ipam('DEL', { containerId: 'ctr2', stdin: net.conf() });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(storeContents(net)).toEqual({});
    const again = await ipam('DEL', { containerId: 'ctr2', stdin: net.conf() });
    expect(again.exitCode, again.stdout).toBe(0);
  });

  it('answers in the configured result version (0.4.0 carries ips[].version)', async () => {
    const net = network(undefined, '0.4.0');
    const add = await ipam('ADD', { containerId: 'ctr1', stdin: net.conf() });
    expect(add.json).toEqual({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.89.0.2/24', gateway: '10.89.0.1' }] });
  });

  it('gives requested addresses from CNI_ARGS IP= (both families) and runtimeConfig.ips', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] });
    expect(await addOk(ZONE_IPAM, net, 'ctr1', { args: 'IP=10.89.0.77,fd89::77' })).toEqual(['10.89.0.77/24', 'fd89::77/64']);
    const runtime = await ipam('ADD', { containerId: 'ctr2', stdin: net.conf('zone-ipam', { runtimeConfig: { ips: ['10.89.0.99/24'] } }) });
    expect((runtime.json as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual(['10.89.0.99/24', 'fd89::78/64']);
  });

  it('gives 16 parallel ADDs 16 distinct addresses', async () => {
    const net = network();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => addOk(ZONE_IPAM, net, `par${i}`)));
    const addresses = results.flat();
    expect(new Set(addresses).size).toBe(16);
    const store = storeContents(net);
    expect(Object.keys(store)).toHaveLength(16);
    for (const [i, [address]] of results.entries()) expect(store[address!.split('/')[0]!]).toBe(`par${i}\r\neth0`);
  });

  it('reports exhaustion with code 110 naming the range', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/29' }]] });
    for (let i = 0; i < 5; i++) await addOk(ZONE_IPAM, net, `full${i}`);
    const outcome = await ipam('ADD', { containerId: 'full5', stdin: net.conf() });
    expectError(outcome, 110, 'no IP addresses available in range set 10.89.0.1-10.89.0.6 of 10.89.0.0/29');
  });

  it('succeeds on DEL when the data directory does not exist', async () => {
    const net = network();
    const outcome = await ipam('DEL', { containerId: 'ctr1', stdin: net.conf() });
    expect(outcome.exitCode, outcome.stdout).toBe(0);
    expect(existsSync(net.dataDir)).toBe(false);
  });

  describe('error paths', () => {
    it('bad JSON → 6, missing ipam or bad ranges → 7', async () => {
      const net = network();
      expectError(await ipam('ADD', { containerId: 'c', stdin: '{"cniVersion":' }), 6);
      const { ipam: _omitted, ...noIpam } = net.conf() as Record<string, unknown>;
      expectError(await ipam('ADD', { containerId: 'c', stdin: noIpam }), 7, 'IPAM config missing "ipam" key');
      const bad = (ranges: unknown) => network({ ranges }).conf();
      expectError(await ipam('ADD', { containerId: 'c', stdin: bad([[{ subnet: '10.89.0.1/24' }]]) }), 7, /host bits set/);
      expectError(
        await ipam('ADD', { containerId: 'c', stdin: bad([[{ subnet: '10.89.0.0/24', gateway: '10.1.0.1' }]]) }),
        7,
        /outside subnet/,
      );
      expectError(
        await ipam('ADD', { containerId: 'c', stdin: bad([[{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.9', rangeEnd: '10.89.0.3' }]]) }),
        7,
        /is after rangeEnd/,
      );
      expectError(
        await ipam('ADD', { containerId: 'c', stdin: bad([[{ subnet: '10.89.0.0/24', rangeEnd: '10.90.0.3' }]]) }),
        7,
        /outside subnet/,
      );
      expectError(
        await ipam('ADD', { containerId: 'c', stdin: bad([[{ subnet: '10.89.0.0/16' }], [{ subnet: '10.89.1.0/24' }]]) }),
        7,
        /overlaps/,
      );
      expectError(await ipam('ADD', { containerId: 'c', stdin: net.conf('zone-ipam', { name: '../escape' }) }), 7);
    });

    it('CNI_ARGS: unknown key → 4, bad IP → 4, IP outside the ranges → 7', async () => {
      const net = network();
      expectError(await ipam('ADD', { containerId: 'c', stdin: net.conf(), args: 'FOO=1' }), 4);
      expectError(await ipam('ADD', { containerId: 'c', stdin: net.conf(), args: 'IP=10.89.0.999' }), 4);
      expectError(await ipam('ADD', { containerId: 'c', stdin: net.conf(), args: 'IP=10.1.0.5' }), 7, /not in any configured range/);
      expect(await addOk(ZONE_IPAM, net, 'c', { args: 'IgnoreUnknown=1;FOO=1' })).toEqual(['10.89.0.2/24']);
    });

    it('duplicate ADD → 112, requested address taken → 111, requested gateway → 111', async () => {
      const net = network();
      await addOk(ZONE_IPAM, net, 'dup', { args: 'IP=10.89.0.20' });
      expectError(await ipam('ADD', { containerId: 'dup', stdin: net.conf() }), 112, /already allocated to dup\/eth0/);
      expectError(await ipam('ADD', { containerId: 'other', stdin: net.conf(), args: 'IP=10.89.0.20' }), 111);
      expectError(await ipam('ADD', { containerId: 'other', stdin: net.conf(), args: 'IP=10.89.0.1' }), 111, /gateway/);
    });

    it('CHECK: nothing allocated → 113, mismatch → 114, no prevResult → 7', async () => {
      const net = network();
      const prevResult = { cniVersion: VERSION, ips: [{ address: '10.89.0.2/24' }] };
      expectError(await ipam('CHECK', { containerId: 'chk', stdin: net.conf('zone-ipam', { prevResult }) }), 113);
      await addOk(ZONE_IPAM, net, 'chk');
      const wrong = { cniVersion: VERSION, ips: [{ address: '10.89.0.3/24' }] };
      expectError(await ipam('CHECK', { containerId: 'chk', stdin: net.conf('zone-ipam', { prevResult: wrong }) }), 114);
      expectError(await ipam('CHECK', { containerId: 'chk', stdin: net.conf() }), 7, /prevResult/);
    });

    it('STATUS on an exhausted range → 50', async () => {
      const net = network({ ranges: [[{ subnet: '10.89.0.0/30' }]] }, '1.1.0');
      await ipam('ADD', { containerId: 'only', stdin: net.conf() });
      expectError(await ipam('STATUS', { stdin: net.conf() }), 50, /no IP addresses left/);
    });

    withMounts.it('STATUS on a read-only store → 50', async () => {
      const net = network(undefined, '1.1.0');
      const conf = join(tempRoot, `status${counter}.json`);
      writeFileSync(conf, JSON.stringify(net.conf()));
      // A read-only bind mount in a private mount namespace: root ignores file modes, not read-only mounts.
      const script = `mkdir -p "$1" && mount --bind -o ro "$1" "$1" && CNI_COMMAND=STATUS CNI_PATH=/usr/lib/cni "$2" < "$3"`;
      const outcome = await execa(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', net.dataDir, ZONE_IPAM, conf],
        {
          reject: false,
          env: { NODE_EXTRA_CA_CERTS: undefined },
        },
      );
      expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(1);
      expect(JSON.parse(outcome.stdout)).toMatchObject({ code: 50, msg: expect.stringContaining('not writable') });
    });
  });
});

withHostLocal.describe('zone-ipam and host-local on one store', () => {
  it('continues host-local’s round-robin without duplicates, and each releases the other’s allocations', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64', rangeStart: 'fd89::fffe' }]] });
    expect(await addOk(HOST_LOCAL, net, 'hl1')).toEqual(['10.89.0.2/24', 'fd89::fffe/64']);
    expect(await addOk(HOST_LOCAL, net, 'hl2')).toEqual(['10.89.0.3/24', 'fd89::ffff/64']);
    expect(await addOk(HOST_LOCAL, net, 'hl3')).toEqual(['10.89.0.4/24', 'fd89::1:0/64']);
    // zone-ipam reads host-local's v6 file names and last_reserved_ip, and writes the same format
    expect(await addOk(ZONE_IPAM, net, 'zi1')).toEqual(['10.89.0.5/24', 'fd89::1:1/64']);
    expect(await addOk(HOST_LOCAL, net, 'hl4')).toEqual(['10.89.0.6/24', 'fd89::1:2/64']);

    expectError(await ipam('ADD', { containerId: 'hl1', stdin: net.conf() }), 112);
    const check = await ipam('CHECK', {
      containerId: 'hl2',
      stdin: net.conf('zone-ipam', {
        prevResult: { cniVersion: VERSION, ips: [{ address: '10.89.0.3/24' }, { address: 'fd89::ffff/64' }] },
      }),
    });
    expect(check.exitCode, check.stdout).toBe(0);

    expect((await ipam('DEL', { containerId: 'hl1', stdin: net.conf() })).exitCode).toBe(0);
    expect((await hostLocal('DEL', { containerId: 'zi1', stdin: net.conf('host-local') })).exitCode).toBe(0);
    expect(storeContents(net)).toEqual({
      '10.89.0.3': 'hl2\r\neth0',
      '10.89.0.4': 'hl3\r\neth0',
      '10.89.0.6': 'hl4\r\neth0',
      'fd89::ffff': 'hl2\r\neth0',
      'fd89::1:0': 'hl3\r\neth0',
      'fd89::1:2': 'hl4\r\neth0',
    });
    // host-local's CHECK finds what zone-ipam wrote
    await addOk(ZONE_IPAM, net, 'zi2');
    const hlCheck = await hostLocal('CHECK', {
      containerId: 'zi2',
      stdin: net.conf('host-local', { prevResult: { cniVersion: VERSION, ips: [{ address: '10.89.0.7/24' }] } }),
    });
    expect(hlCheck.exitCode, hlCheck.stdout).toBe(0);
  });

  it('releases files of old host-local versions (container ID only) on DEL', async () => {
    const net = network();
    await addOk(HOST_LOCAL, net, 'keep');
    writeFileSync(join(net.store, '10.89.0.50'), 'legacy');
    expect((await ipam('DEL', { containerId: 'legacy', stdin: net.conf() })).exitCode).toBe(0);
    expect(Object.keys(storeContents(net))).toEqual(['10.89.0.2']);
  });

  it('lock the same file the same way: both wait while <store>/lock is flock(2)ed', async () => {
    const net = network();
    await addOk(HOST_LOCAL, net, 'first');
    const holder = execa('flock', [join(net.store, 'lock'), 'sh', '-c', 'echo locked; sleep 0.8']);
    await new Promise((resolve) => holder.stdout!.once('data', resolve));
    const [ours, theirs] = await Promise.all([
      ipam('ADD', { containerId: 'waits1', stdin: net.conf() }),
      hostLocal('ADD', { containerId: 'waits2', stdin: net.conf('host-local') }),
    ]);
    await holder;
    expect(ours.exitCode, ours.stdout).toBe(0);
    expect(theirs.exitCode, theirs.stdout).toBe(0);
    // both started while the lock was held and could only finish after it was released
    expect(ours.durationMs).toBeGreaterThan(500);
    expect(theirs.durationMs).toBeGreaterThan(500);
  });

  it('share one lock: of 8 parallel ADDs of one attachment (4 each) exactly one succeeds', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] });
    for (let round = 0; round < 3; round++) {
      const id = `same${round}`;
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2
            ? hostLocal('ADD', { containerId: id, stdin: net.conf('host-local') })
            : ipam('ADD', { containerId: id, stdin: net.conf() }),
        ),
      );
      expect(outcomes.filter((o) => o.exitCode === 0)).toHaveLength(1);
      // the duplicate check only holds if both take the same lock around check and reservation
      for (const o of outcomes.filter((o) => o.exitCode !== 0)) expect(o.stdout).toMatch(/already allocated|duplicate allocation/);
      expect(Object.values(storeContents(net)).filter((owner) => owner === `${id}\r\neth0`)).toHaveLength(2);
    }
  });

  it('never hands out one address twice when both run at once (8 + 8 in parallel, 3 rounds)', async () => {
    const net = network({ ranges: [[{ subnet: '10.89.0.0/27' }], [{ subnet: 'fd89::/120' }]] });
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 16 }, (_, i) => `r${round}-${i % 2 ? 'hl' : 'zi'}${i}`);
      const results = await Promise.all(ids.map((id, i) => addOk(i % 2 ? HOST_LOCAL : ZONE_IPAM, net, id)));
      const addresses = results.flat();
      expect(new Set(addresses).size).toBe(32);
      const store = storeContents(net);
      expect(Object.keys(store)).toHaveLength(32);
      for (const [i, ips] of results.entries()) {
        for (const ip of ips) expect(store[ip.split('/')[0]!]).toBe(`${ids[i]}\r\neth0`);
      }
      // release half with each plugin, crosswise, so the next round reuses addresses
      await Promise.all(
        ids.map((id, i) =>
          i % 2
            ? ipam('DEL', { containerId: id, stdin: net.conf() })
            : hostLocal('DEL', { containerId: id, stdin: net.conf('host-local') }),
        ),
      );
      expect(storeContents(net)).toEqual({});
    }
  });
});
