// Generated CNI calls for property-based tests of the `zone` plugin: a good call of a fixed
// "fuzz" network, bent in any number of places — command, CNI_* variables, every config field,
// runtimeConfig, prevResult, args, even stdin that is no config at all.
//
// Every call may run for real (in a test "host" namespace), so the generators never produce a
// call that could succeed somewhere the test does not own: the backend is `netlink` or invalid
// (never auto/networkd: a networkd on the machine would take the zone), the zone, the network
// name, the ranges and every gateway are the fixed ones or invalid, every path is below the
// test's directories or invalid, IPAM is zone-ipam or a type CNI_PATH cannot find, no
// ipRanges, and the container IDs never reach the anchor's.

import fc from 'fast-check';
import { zoneNameProblem } from '../../lib/names/index.js';

/** What the generated calls may point at. */
export interface FuzzTargets {
  /** Network name, also the zone's. */
  network: string;
  ranges: object[][];
  dataDir: string;
  portsStateDir: string;
  /** The zone name server's state (`nameServer.stateDir`): never the default /run/cni-zones/dns. */
  dnsStateDir: string;
  networkDir: string;
  /** An empty directory: CNI_PATH, where no delegated IPAM is found. */
  cniPath: string;
  /** CNI_NETNS values worth trying: container namespaces, the host's own, files that are no namespace. */
  netns: readonly string[];
  /** A directory random CNI_NETNS names go below. */
  netnsDir: string;
  /** Container IDs no generated call may use (an attachment the test keeps). */
  reservedContainerIds: readonly string[];
}

export interface FuzzCall {
  command: string | undefined;
  containerId: string | undefined;
  ifname: string | undefined;
  netns: string | undefined;
  args: string | undefined;
  path: string | undefined;
  /** The stdin text. */
  stdin: string;
}

const SUPPORTED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A field: left out, or one of `values`. */
const ABSENT = Symbol('absent');

const junk = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [[]], '\u0000', 'é', 2 ** 53),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Junk that cannot mean "the default" where an empty or null value does (ipam.dataDir). */
const junkNotEmpty = junk.filter((value) => value !== '' && value !== null);

const printable = fc.string({ maxLength: 20 });
const anyText = fc.string({ unit: 'binary', maxLength: 20 });

function badPaths(under: string): fc.Arbitrary<string> {
  // not '': an empty dataDir means host-local's default, /var/lib/cni/networks
  return fc.constantFrom('relative/dir', './x', `${under}/../escape`, `${under}/./x`, `${under}//x`, '~', `${under}/x\u0000y`);
}

/** Names that are not our zone and could not be any zone (a valid one would make a bridge). */
function invalidZones(zone: string): fc.Arbitrary<unknown> {
  const notAZone = (z: string) => z !== zone && zoneNameProblem(z) !== undefined;
  return fc.oneof(fc.constantFrom('', 'a zone', '-web', 'abcdefghijklm', 'wéb', 'a/b', '..'), printable.filter(notAZone));
}

const goodPort = fc.integer({ min: 1, max: 65535 });
const badPort = fc.constantFrom<unknown>(0, -1, 65536, 1.5, '80', null);
const mapping = (portArb: fc.Arbitrary<unknown>, protocol: fc.Arbitrary<unknown>, hostIP: fc.Arbitrary<unknown>) =>
  fc.record({ hostPort: portArb, containerPort: portArb, protocol, hostIP }, { requiredKeys: ['hostPort', 'containerPort'] });
const goodMapping = mapping(goodPort, fc.constantFrom('tcp', 'udp', 'sctp', 'TCP', ''), fc.constantFrom('', '127.0.0.1', '0.0.0.0', '::'));
const badMapping = mapping(
  fc.oneof(goodPort, badPort),
  fc.constantFrom<unknown>('tcp', 'icmp', 5, null),
  fc.constantFrom<unknown>('::1', '::ffff:1.2.3.4', 'nope', 7, '10.89.77.1'),
);
const goodMac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => [(b[0]! & 0xfe) | 0x02, ...b.slice(1)].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const badMac = fc.constantFrom('01:00:5e:00:00:01', 'zz:00:00:00:00:01', '02-00-00-00-00-01', '', '02:00:00:00:01');
const goodIp = fc.constantFrom('10.89.0.50', 'fd89::50', '10.89.0.51/24');
const badIp = fc.constantFrom<unknown>('10.89.0.1', '10.89.0.0', '10.89.0.255', '10.99.0.5', 'nope', 5);

const goodCidr = fc.constantFrom('192.0.2.0/24', '0.0.0.0/0', '198.51.100.7/32');
const badCidr = fc.constantFrom<unknown>('nope', '10.89.0.0/33', '', 5);
const goodRoute = fc.oneof(
  fc.record({ dst: goodCidr, gw: fc.constantFrom('10.89.0.1', '10.89.0.200') }, { requiredKeys: ['dst'] }),
  fc.record({ dst: fc.constantFrom('2001:db8::/32', '::/0'), gw: fc.constantFrom('fd89::1', 'fe80::1') }, { requiredKeys: ['dst'] }),
);
const badRoute = fc.record(
  {
    dst: fc.oneof(goodCidr, badCidr, fc.constant('::/0')),
    gw: fc.constantFrom<unknown>('10.99.0.1', 'fd89::1', 'nope', 5),
    mtu: fc.oneof(fc.integer({ min: -1, max: 9000 }), junk),
  },
  { requiredKeys: ['dst'] },
);

/** A config field: what a good config may hold (ABSENT when it may be left out), and what it must not. */
interface Field {
  good: fc.Arbitrary<unknown>;
  bad: fc.Arbitrary<unknown>;
}

const orAbsent = (arb: fc.Arbitrary<unknown>) => fc.oneof(fc.constant(ABSENT), arb);
const orJunk = (arb: fc.Arbitrary<unknown>, anyJunk = junk) => fc.oneof(arb, anyJunk);

/** Good and bad versions of each field of an object; a value keeps all good fields but a few. */
function corruptible(fields: Record<string, Field>, maxCorrupt = 2): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(fields);
  const pick = (side: 'good' | 'bad') =>
    fc.record(Object.fromEntries(keys.map((k) => [k, fields[k]![side]])) as Record<string, fc.Arbitrary<unknown>>);
  const corrupt = fc.oneof(
    { weight: 5, arbitrary: fc.constant<string[]>([]) },
    { weight: 2, arbitrary: fc.subarray(keys, { minLength: 1, maxLength: maxCorrupt }) },
  );
  return fc.record({ good: pick('good'), bad: pick('bad'), corrupt }).map(({ good, bad, corrupt: broken }) => {
    const value = Object.fromEntries(keys.map((k) => [k, broken.includes(k) ? bad[k] : good[k]]));
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ABSENT));
  });
}

function runtimeConfigOf(): fc.Arbitrary<unknown> {
  return corruptible({
    portMappings: {
      good: orAbsent(fc.array(goodMapping, { maxLength: 3 })),
      bad: orJunk(fc.array(badMapping, { minLength: 1, maxLength: 3 })),
    },
    ips: { good: orAbsent(fc.array(goodIp, { maxLength: 1 })), bad: orJunk(fc.array(badIp, { minLength: 1, maxLength: 2 })) },
    mac: { good: orAbsent(goodMac), bad: orJunk(badMac) },
    // only junk: a valid ipRanges would put another gateway on the zone's bridge
    ipRanges: { good: fc.constant(ABSENT), bad: junk },
  });
}

/** The fixed ranges, or ones that cannot work: a valid other subnet or gateway would stay on the bridge. */
function badRanges(): fc.Arbitrary<unknown> {
  const badRange = fc.record(
    {
      subnet: fc.constantFrom<unknown>('nope', '10.89.0.0/33', 'fd89::/129', 5, '', '0.0.0.0/0', '::/0'),
      gateway: fc.constantFrom<unknown>('10.200.0.1', 'x', 7),
      rangeStart: fc.constantFrom<unknown>('10.89.1.5', 'x'),
    },
    { requiredKeys: ['subnet'] },
  );
  return orJunk(fc.array(fc.array(badRange, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }));
}

function ipamOf(t: FuzzTargets): fc.Arbitrary<unknown> {
  return corruptible({
    type: { good: fc.constant('zone-ipam'), bad: orJunk(fc.constantFrom('no-such-ipam', 'host-local', 'bad/type', '', '../zone-ipam')) },
    dataDir: { good: fc.constant(t.dataDir), bad: orJunk(badPaths(t.dataDir), junkNotEmpty) },
    ranges: { good: fc.constant(t.ranges), bad: badRanges() },
    routes: { good: orAbsent(fc.array(goodRoute, { maxLength: 2 })), bad: orJunk(fc.array(badRoute, { minLength: 1, maxLength: 2 })) },
    subnet: { good: fc.constant(ABSENT), bad: orJunk(fc.constantFrom('nope', '10.89.0.0/33')) },
    resolvConf: {
      good: orAbsent(fc.constant('/etc/resolv.conf')),
      bad: orJunk(fc.oneof(badPaths(t.dataDir), fc.constant('/nonexistent/resolv.conf'))),
    },
  });
}

function resultOf(): fc.Arbitrary<unknown> {
  return fc.record(
    {
      cniVersion: fc.constantFrom(...SUPPORTED),
      interfaces: fc.array(
        fc.record(
          { name: fc.constantFrom('vz-fuzz', 'eth0'), sandbox: fc.constantFrom('/run/netns/x', ''), mac: goodMac },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 3 },
      ),
      ips: fc.array(
        fc.record(
          { address: fc.constantFrom('10.89.0.9/24', 'fd89::9/64'), gateway: fc.constantFrom('10.89.0.1', 'fd89::1') },
          { requiredKeys: ['address'] },
        ),
        { maxLength: 2 },
      ),
      routes: fc.array(goodRoute, { maxLength: 2 }),
    },
    { requiredKeys: ['cniVersion'] },
  );
}

const badResult = orJunk(
  fc.constantFrom<unknown>(
    'x',
    { cniVersion: '9.9.9' },
    { ips: [{ address: 'nope' }] },
    { ips: [{ address: '10.89.0.9/24', interface: 3 }] },
    { interfaces: 'x' },
  ),
);

function netConfOf(t: FuzzTargets): fc.Arbitrary<Record<string, unknown>> {
  const optionalBool: Field = { good: orAbsent(fc.boolean()), bad: junk };
  return corruptible(
    {
      cniVersion: {
        good: fc.constantFrom(...SUPPORTED),
        bad: fc.oneof(fc.constant(ABSENT), fc.constantFrom('0.2.0', '2.0.0', '1.0', 'latest', ' 1.0.0'), junk),
      },
      // only invalid other names: with no zone set, a valid one would be a zone of its own
      name: {
        good: fc.constant(t.network),
        bad: orJunk(
          fc.oneof(
            fc.constantFrom('', 'a b', '-x', 'n'.repeat(101), '../etc'),
            printable.filter((n) => !NETWORK_NAME.test(n)),
          ),
        ),
      },
      type: { good: fc.constant('zone'), bad: orJunk(fc.constantFrom('', 'bridge')) },
      zone: { good: orAbsent(fc.constant(t.network)), bad: orJunk(invalidZones(t.network)) },
      // never absent, never auto or networkd: see the top of this file
      backend: { good: fc.constant('netlink'), bad: orJunk(fc.constantFrom('auto-', 'systemd', 'NETLINK', '')) },
      networkDir: { good: orAbsent(fc.constant(t.networkDir)), bad: orJunk(badPaths(t.networkDir)) },
      ipMasq: optionalBool,
      hairpin: optionalBool,
      ipv6Dad: { good: orAbsent(fc.constant(false)), bad: junk },
      mtu: { good: orAbsent(fc.integer({ min: 1280, max: 9000 })), bad: orJunk(fc.constantFrom(0, 67, 1279, 65536, 1500.5, '1500')) },
      dhcpPool: {
        good: orAbsent(fc.record({ offset: fc.integer({ min: 1, max: 100 }), size: fc.integer({ min: 1, max: 100 }) })),
        bad: junk,
      },
      ipam: { good: ipamOf(t), bad: fc.oneof(fc.constant(ABSENT), junk) },
      capabilities: {
        good: orAbsent(fc.record({ portMappings: fc.boolean(), mac: fc.boolean(), ips: fc.boolean() }, { requiredKeys: [] })),
        bad: junk,
      },
      runtimeConfig: { good: orAbsent(runtimeConfigOf()), bad: junk },
      args: {
        good: orAbsent(fc.record({ cni: fc.record({ ips: fc.array(goodIp, { maxLength: 1 }), mac: goodMac }, { requiredKeys: [] }) })),
        bad: orJunk(fc.record({ cni: fc.record({ ips: fc.array(badIp), mac: badMac }) })),
      },
      prevResult: { good: orAbsent(resultOf()), bad: badResult },
      dns: {
        good: orAbsent(
          fc.record(
            {
              nameservers: fc.array(fc.constantFrom('10.89.0.1', '2001:db8::53'), { maxLength: 2 }),
              search: fc.array(fc.constantFrom('example.org', 'x'), { maxLength: 2 }),
            },
            { requiredKeys: [] },
          ),
        ),
        bad: junk,
      },
      // the name server on in a directory of the test's, or off: never the default /run/cni-zones/dns
      nameServer: {
        good: fc.oneof(fc.constant({ stateDir: t.dnsStateDir, forward: false }), fc.constant(false)),
        bad: orJunk(badPaths(t.dnsStateDir).map((stateDir) => ({ stateDir }))),
      },
      // where port records go: never left to the default /run/cni-zones/ports
      portsStateDir: { good: fc.constant(t.portsStateDir), bad: orJunk(badPaths(t.portsStateDir)) },
      localhost: optionalBool,
      'cni.dev/valid-attachments': {
        good: orAbsent(
          fc.array(fc.record({ containerID: fc.constantFrom('fz-1', 'other'), ifname: fc.constant('eth0') }), { maxLength: 2 }),
        ),
        bad: junk,
      },
      unknownField: { good: orAbsent(junk), bad: junk },
    },
    3,
  );
}

/** stdin: mostly a config, sometimes no config at all. */
function stdinOf(t: FuzzTargets): fc.Arbitrary<string> {
  const config = netConfOf(t).map((conf) => JSON.stringify(conf));
  return fc.oneof(
    { weight: 18, arbitrary: config },
    { weight: 1, arbitrary: config.map((text) => text.slice(0, Math.floor(text.length / 2))) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        anyText,
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        fc.constant(''),
      ),
    },
  );
}

/** Mostly set: a runtime that leaves a variable out is one case among many. No NUL: execve(2) cannot pass one. */
function optional(arb: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  return fc.option(
    arb.filter((value) => !value.includes('\0')),
    { freq: 50, nil: undefined },
  );
}

export function fuzzCall(t: FuzzTargets): fc.Arbitrary<FuzzCall> {
  const reserved = new Set(t.reservedContainerIds);
  const containerId = fc
    .oneof(
      { weight: 12, arbitrary: fc.integer({ min: 0, max: 99 }).map((n) => `fz-${n}`) },
      { weight: 1, arbitrary: fc.oneof(printable, anyText, fc.constantFrom('-x', 'x'.repeat(129), 'a'.repeat(128), 'a b', 'é')) },
    )
    .filter((id) => !reserved.has(id));
  const ifname = fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom('eth0', 'eth1', 'net1') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/) },
    { weight: 1, arbitrary: fc.oneof(printable, anyText, fc.constantFrom('ethé', 'e\u0001', '.', '..', 'a/b', 'a:b', 'a b', 'lo')) },
  );
  const netns = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...t.netns) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9._-]{0,12}$/).map((name) => `${t.netnsDir}/${name}`) },
  );
  return fc.record({
    command: optional(
      fc.oneof(
        { weight: 10, arbitrary: fc.constant('ADD') },
        { weight: 3, arbitrary: fc.constant('DEL') },
        { weight: 2, arbitrary: fc.constantFrom('CHECK', 'GC', 'STATUS', 'VERSION') },
        { weight: 1, arbitrary: fc.oneof(printable, fc.constantFrom('add', 'ADD ', 'DELETE')) },
      ),
    ),
    containerId: optional(containerId),
    ifname: optional(ifname),
    netns: optional(netns),
    args: fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('IgnoreUnknown=1', 'IP=10.89.0.60', 'MAC=02:00:00:00:00:07', 'K8S_POD_NAME=x;IgnoreUnknown=1', ';;'),
      },
      { weight: 1, arbitrary: fc.constantFrom('FOO=1', 'junk', '=x', 'IP=nope', 'MAC=zz') },
    ),
    path: optional(fc.constant(t.cniPath)),
    stdin: stdinOf(t),
  });
}

/** The version an error must carry for `stdin`: the one it asks for when we speak it. */
export function expectedErrorVersion(stdin: string): string {
  try {
    const version = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
    return typeof version === 'string' && SUPPORTED.includes(version) ? version : '1.1.0';
  } catch {
    return '1.1.0';
  }
}

/** Cases per property: CNI_ZONES_FUZZ_RUNS (the `make fuzz` total) shared out by `share`, else `normal`. */
export function fuzzRuns(normal: number, share: number): number {
  const total = Number(process.env.CNI_ZONES_FUZZ_RUNS);
  return Number.isInteger(total) && total > 0 ? Math.max(1, Math.round(total * share)) : normal;
}

/** A fixed seed from CNI_ZONES_FUZZ_SEED replays a failure; otherwise fast-check picks one and reports it. */
export function fuzzSeed(): { seed?: number } {
  const seed = Number(process.env.CNI_ZONES_FUZZ_SEED);
  return Number.isInteger(seed) ? { seed } : {};
}
