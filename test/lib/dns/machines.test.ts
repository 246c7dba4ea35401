// The nspawn machines of a zone: machined's state files read with care (no link followed, odd
// files skipped), a port named by machined only when the record fits it, the addresses a machine
// answers to, and a scan of a zone's bridge through a fake rtnetlink socket that answers as the
// kernel does (the ports of the bridge, each machine's addresses in its own namespace).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  answerableAddresses,
  machineOfPort,
  parseMachinedState,
  portFitsMachine,
  readMachinedRecords,
  scanZoneMachines,
} from '../../../lib/dns/machines.js';
import { parseCidr, subnetOf } from '../../../lib/ip/index.js';
import { type Address, decodeAddressHeader } from '../../../lib/rtnl/addresses.js';
import {
  attribute,
  decodeAttributes,
  findI32,
  findU32,
  nestedAttribute,
  s32Attribute,
  stringAttribute,
  u32Attribute,
} from '../../../lib/rtnl/attributes.js';
import type { RtMessage } from '../../../lib/rtnl/netlink.js';
import { addressMessage, ENODEV, EPERM, fakeSocket, kernelRejects, linkMessage, type SentRequest } from '../rtnl/fake-socket.js';
import { makeTestTempDir } from '../../support/paths.js';

// linux/if_link.h, linux/if_addr.h
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_LINK_NETNSID = 37;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
const IFA_TARGET_NETNSID = 10;
const IFA_F_TENTATIVE = 0x40;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;

/** What machined 252 writes for a running container (machine_save), with our values. */
function machinedFile(name: string, netif: string): string {
  return [
    '# This is private data. Do not parse.',
    `NAME=${name}`,
    `SCOPE=machine-${name}.scope`,
    'SERVICE=systemd-nspawn',
    `ROOT=/var/lib/machines/${name}`,
    'ID=5f1d7c0e6b3a4c2d9e8f7a6b5c4d3e2f',
    'LEADER=4242',
    'CLASS=container',
    'REALTIME=1700000000000000',
    'MONOTONIC=123456789',
    `NETIF=${netif}`,
    '',
  ].join('\n');
}

function tempDir(): string {
  const dir = makeTestTempDir('dns-machines');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('parseMachinedState', () => {
  it('reads the name and the host-side interfaces of a state file', () => {
    expect(parseMachinedState(machinedFile('db', '7'))).toEqual({ machine: 'db', interfaces: [7] });
    expect(parseMachinedState(machinedFile('Web.1', '7 12'))).toEqual({ machine: 'Web.1', interfaces: [7, 12] });
  });

  it('takes quoted values, skips comments, blank and malformed lines', () => {
    expect(parseMachinedState('# NAME=nope\n\nno equals sign\n=x\nNAME="db"\nNETIF=\'3\'\n')).toEqual({ machine: 'db', interfaces: [3] });
  });

  it('has no machine without a valid NAME', () => {
    expect(parseMachinedState('NETIF=7\n')).toBeUndefined();
    expect(parseMachinedState('NAME=\nNETIF=7\n')).toBeUndefined();
    expect(parseMachinedState('NAME=../../etc\n')).toBeUndefined();
    expect(parseMachinedState(`NAME=${'a'.repeat(65)}\n`)).toBeUndefined();
  });

  it('keeps only positive interface indexes that fit an int', () => {
    expect(parseMachinedState('NAME=db\nNETIF=7 x -3 0 07 99999999999 2147483648 2147483647\n')).toEqual({
      machine: 'db',
      interfaces: [7, 2147483647],
    });
    expect(parseMachinedState('NAME=db\n')).toEqual({ machine: 'db', interfaces: [] });
  });
});

describe('readMachinedRecords', () => {
  it('reads the plain files, never a link (machined’s own unit: links, or a planted one), nor a directory or junk', () => {
    const dir = tempDir();
    const outside = join(tempDir(), 'secret');
    writeFileSync(outside, machinedFile('planted', '7'));
    writeFileSync(join(dir, 'db'), machinedFile('db', '7'));
    writeFileSync(join(dir, 'web'), machinedFile('web', '9 10'));
    symlinkSync('db', join(dir, 'unit:machine-db.scope'));
    symlinkSync(outside, join(dir, 'evil'));
    mkdirSync(join(dir, 'subdir'));
    writeFileSync(join(dir, 'junk'), 'not a state file\n');
    writeFileSync(join(dir, '.#db.tmp'), machinedFile('half', '7'));
    const records = readMachinedRecords(dir).sort((a, b) => a.machine.localeCompare(b.machine));
    expect(records).toEqual([
      { machine: 'db', interfaces: [7] },
      { machine: 'web', interfaces: [9, 10] },
    ]);
  });

  it('has none where machined does not run', () => {
    expect(readMachinedRecords(join(tempDir(), 'absent'))).toEqual([]);
  });
});

describe('ports and machines', () => {
  it('a port fits its machine whole, or shortened by nspawn to 15 characters', () => {
    expect(portFitsMachine('vb-db', 'db')).toBe(true);
    expect(portFitsMachine('vb-database-one', 'database-one')).toBe(true); // 12 characters fit whole
    // nspawn 252: `vb-` + the first 8 characters + a 4-character hash; older ones cut the name.
    expect(portFitsMachine('vb-databaseAb3_', 'database-primary')).toBe(true);
    expect(portFitsMachine('vb-database-pri', 'database-primary')).toBe(true);
    expect(portFitsMachine('vb-db', 'dbx')).toBe(false);
    expect(portFitsMachine('vb-databaseAb3_', 'database-one')).toBe(false); // that one fits whole, so is never shortened
    expect(portFitsMachine('vb-otherone1234', 'database-primary')).toBe(false);
    expect(portFitsMachine('vb-database', 'database-primary')).toBe(false);
  });

  it('machined names a port it lists and that fits; otherwise the port names itself', () => {
    const records = [
      { machine: 'database-primary', interfaces: [7] },
      { machine: 'cache', interfaces: [8] },
    ];
    expect(machineOfPort({ index: 7, name: 'vb-databaseAb3_' }, records)).toEqual({ machine: 'database-primary', source: 'machined' });
    // Index 8 is machined's, but its port is another: an index of the namespace nspawn ran in.
    expect(machineOfPort({ index: 8, name: 'vb-db' }, records)).toEqual({ machine: 'db', source: 'port' });
    // The name fits, but machined does not list this port.
    expect(machineOfPort({ index: 9, name: 'vb-cache' }, records)).toEqual({ machine: 'cache', source: 'port' });
    expect(machineOfPort({ index: 7, name: 'vb-databaseAb3_' }, [])).toEqual({ machine: 'databaseAb3_', source: 'port' });
  });
});

function address(text: string, more: Partial<Address> = {}): Address {
  const family = text.includes(':') ? 6 : 4;
  const prefixLength = family === 4 ? 24 : 64;
  return {
    index: 2,
    family,
    address: text,
    prefixLength,
    cidr: `${text}/${prefixLength}`,
    scope: 0,
    broadcast: undefined,
    tentative: false,
    dadFailed: false,
    noDad: false,
    permanent: false,
    ...more,
  };
}

describe('answerableAddresses', () => {
  const zone = [subnetOf(parseCidr('10.89.0.0/24')!), subnetOf(parseCidr('fd89::/64')!)];

  it('keeps global, usable addresses inside the zone’s subnets, v4 first, each once', () => {
    const addresses = [
      address('fd89::8c1:2ff:fe3a:9b10'),
      address('10.89.0.130'),
      address('fe80::8c1:2ff:fe3a:9b10', { scope: RT_SCOPE_LINK }),
      address('127.0.0.1', { scope: RT_SCOPE_HOST }),
      address('fd89::99', { tentative: true }),
      address('fd89::98', { dadFailed: true }),
      address('192.168.7.7'),
      address('10.89.0.130'),
    ];
    expect(answerableAddresses(addresses, zone)).toEqual(['10.89.0.130', 'fd89::8c1:2ff:fe3a:9b10']);
    // Without the zone's subnets, every global address counts.
    expect(answerableAddresses(addresses)).toEqual(['10.89.0.130', '192.168.7.7', 'fd89::8c1:2ff:fe3a:9b10']);
  });
});

const bridgeLink = (index: number, name: string, kind = 'bridge') =>
  linkMessage(index, name, [nestedAttribute(IFLA_LINKINFO, [stringAttribute(1, kind)])]);

/** A machine's host end: a port of `master` whose peer is `peerIndex` in namespace `netnsId`. */
const portLink = (index: number, name: string, master: number, peerIndex: number, netnsId?: number) =>
  linkMessage(index, name, [
    u32Attribute(IFLA_MASTER, master),
    u32Attribute(IFLA_LINK, peerIndex),
    ...(netnsId === undefined ? [] : [s32Attribute(IFLA_LINK_NETNSID, netnsId)]),
  ]);

/** An address of link `index` in namespace `netnsId`, the target carried back as the kernel does. */
function peerAddress(netnsId: number, index: number, text: string, flags = 0, scope = 0): RtMessage {
  const v6 = text.includes(':');
  const bytes = v6
    ? Buffer.from(text === 'fd89::82' ? 'fd890000000000000000000000000082' : 'fe800000000000000000000000000082', 'hex')
    : Buffer.from(text.split('.').map(Number));
  return addressMessage({ family: v6 ? 10 : 2, prefixLength: v6 ? 64 : 24, flags: 0, scope, index }, [
    attribute(IFA_LOCAL, bytes),
    u32Attribute(IFA_FLAGS, flags),
    s32Attribute(IFA_TARGET_NETNSID, netnsId),
  ]);
}

/** The namespace id and index a sent address list asks for. */
function askedFor(sent: SentRequest): { netnsId: number | undefined; index: number } {
  return { netnsId: findI32(decodeAttributes(sent.body.subarray(8)), IFA_TARGET_NETNSID), index: decodeAddressHeader(sent.body)!.index };
}

describe('scanZoneMachines', () => {
  const subnets = [subnetOf(parseCidr('10.89.0.0/24')!), subnetOf(parseCidr('fd89::/64')!)];

  it('finds nothing, and asks nothing more, without the bridge', () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects(ENODEV));
    expect(scanZoneMachines(fake.socket, 'vz-web', { machinedDir: join(tempDir(), 'none') })).toEqual({ machines: [], problems: [] });
    fake.answer('getLink', [bridgeLink(9, 'vz-web', 'dummy')]);
    expect(scanZoneMachines(fake.socket, 'vz-web')).toEqual({ machines: [], problems: [] });
    expect(fake.sent.map((s) => s.method)).toEqual(['getLink', 'getLink']);
  });

  it('names each vb- port of the bridge and reads its machine’s addresses in the machine’s namespace', () => {
    const machined = tempDir();
    writeFileSync(join(machined, 'database-primary'), machinedFile('database-primary', '12'));
    const fake = fakeSocket();
    fake.answer('getLink', [bridgeLink(9, 'vz-web')]);
    fake.answer('getLinks', [
      portLink(10, 'vb-db', 9, 2, 3),
      portLink(11, 'vz1a2b3c4d5e6f7', 9, 2, 4), // a CNI container's veth: the store names it
      portLink(12, 'vb-databaseAb3_', 9, 2, 5),
      portLink(13, 'vb-my_box', 9, 2, 6),
      portLink(14, 'vb-gone', 9, 2, 7),
      linkMessage(15, 'vb-elsewhere', [u32Attribute(IFLA_MASTER, 8)]), // another bridge's port
    ]);
    fake.answer('getAddresses', (sent) => {
      const { netnsId, index } = askedFor(sent);
      if (netnsId === 7) return kernelRejects(ENODEV); // it left while we looked
      if (netnsId === 3 && index === 2)
        return [
          peerAddress(3, 1, '127.0.0.1', 0, RT_SCOPE_HOST),
          peerAddress(3, 2, '10.89.0.130'),
          peerAddress(3, 2, 'fd89::82'),
          peerAddress(3, 2, 'fe80::82', 0, RT_SCOPE_LINK),
        ];
      if (netnsId === 5) return [peerAddress(5, 2, '10.89.0.131'), peerAddress(5, 2, '192.168.1.5')];
      if (netnsId === 6) return [peerAddress(6, 2, '10.89.0.132'), peerAddress(6, 2, 'fd89::82', IFA_F_TENTATIVE)];
      return [];
    });
    const scan = scanZoneMachines(fake.socket, 'vz-web', { subnets, machinedDir: machined });
    expect(scan.machines).toEqual([
      { machine: 'db', label: 'db', port: 'vb-db', source: 'port', addresses: ['10.89.0.130', 'fd89::82'] },
      { machine: 'database-primary', label: 'database-primary', port: 'vb-databaseAb3_', source: 'machined', addresses: ['10.89.0.131'] },
      { machine: 'my_box', label: undefined, port: 'vb-my_box', source: 'port', addresses: ['10.89.0.132'] },
      { machine: 'gone', label: 'gone', port: 'vb-gone', source: 'port', addresses: [] },
    ]);
    expect(scan.problems).toEqual([expect.stringMatching(/^machine "my_box" \(vb-my_box\) has no name in the zone: it may hold only/)]);
    // One lookup, one dump of the bridge's ports, one address list per machine, each in its namespace.
    expect(fake.sent.map((s) => s.method)).toEqual(['getLink', 'getLinks', ...Array(4).fill('getAddresses')]);
    expect(findU32(decodeAttributes(fake.sent[1]!.body.subarray(16)), IFLA_MASTER)).toBe(9);
    expect(fake.sent.slice(2).map(askedFor)).toEqual([3, 5, 6, 7].map((netnsId) => ({ netnsId, index: 2 })));
  });

  it('says why a machine’s addresses cannot be read, and goes on with the others', () => {
    const fake = fakeSocket();
    fake.answer('getLink', [bridgeLink(9, 'vz-web')]);
    fake.answer('getLinks', [portLink(10, 'vb-db', 9, 2, 3), portLink(11, 'vb-web', 9, 2, 4)]);
    fake.answer('getAddresses', kernelRejects(EPERM), [peerAddress(4, 2, '10.89.0.140')]);
    const scan = scanZoneMachines(fake.socket, 'vz-web', { subnets, machinedDir: join(tempDir(), 'none') });
    expect(scan.machines.map((m) => [m.label, m.addresses])).toEqual([
      ['db', []],
      ['web', ['10.89.0.140']],
    ]);
    expect(scan.problems).toEqual(['cannot read the addresses of machine "db" (vb-db): list addresses of namespace id 3: EPERM']);
  });

  it('reads a peer left in this namespace here, and asks nothing for a port without a peer', () => {
    const fake = fakeSocket();
    fake.answer('getLink', [bridgeLink(9, 'vz-web')]);
    fake.answer('getLinks', [portLink(10, 'vb-db', 9, 20), linkMessage(11, 'vb-odd', [u32Attribute(IFLA_MASTER, 9)])]);
    fake.answer('getAddresses', [
      addressMessage({ family: 2, prefixLength: 24, flags: 0, scope: 0, index: 20 }, [attribute(IFA_LOCAL, Buffer.from([10, 89, 0, 150]))]),
      addressMessage({ family: 2, prefixLength: 24, flags: 0, scope: 0, index: 21 }, [attribute(IFA_LOCAL, Buffer.from([10, 89, 0, 151]))]),
    ]);
    const scan = scanZoneMachines(fake.socket, 'vz-web', { subnets, machinedDir: join(tempDir(), 'none') });
    expect(scan.machines.map((m) => [m.label, m.addresses])).toEqual([
      ['db', ['10.89.0.150']],
      ['odd', []],
    ]);
    expect(fake.sent.slice(2).map(askedFor)).toEqual([{ netnsId: undefined, index: 20 }]);
  });

  it('passes a failure of the bridge’s lookup or dump on', () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects(EPERM));
    expect(() => scanZoneMachines(fake.socket, 'vz-web')).toThrow(/get link vz-web: EPERM/);
  });
});
