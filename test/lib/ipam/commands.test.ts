import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../../../lib/ipam/commands.js';
import { loadIpamConfig } from '../../../lib/ipam/config.js';
import { failure, ipamConf, makeGcRequest, makeRequest, tempDataDir } from './helpers.js';

const storeOf = (dataDir: string) => join(dataDir, 'testnet');
const addressFiles = (dataDir: string) =>
  existsSync(storeOf(dataDir))
    ? readdirSync(storeOf(dataDir))
        .filter((n) => /^[\d.]+$|:/.test(n))
        .sort()
    : [];

async function add(conf: object, containerId: string, ifname = 'eth0', cniArgs = '') {
  return ipamAdd(makeRequest(conf, { containerId, ifname, cniArgs }));
}

describe('ipamAdd', () => {
  it('allocates one address per range set with gateway, routes and dns, and no interface index', async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, 'resolv.conf'), 'nameserver 10.89.0.1\nsearch zone.test\n');
    const conf = {
      ipam: {
        type: 'zone-ipam',
        dataDir,
        ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]],
        routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        resolvConf: join(dataDir, 'resolv.conf'),
      },
    };
    expect(await add(conf, 'c1')).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.89.0.2/24', gateway: '10.89.0.1' },
        { address: 'fd89::2/64', gateway: 'fd89::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      dns: { nameservers: ['10.89.0.1'], search: ['zone.test'] },
    });
    expect(readFileSync(join(storeOf(dataDir), 'fd89::2'), 'utf8')).toBe('c1\r\neth0');
  });

  it('leaves routes and dns out when none are configured', async () => {
    const result = await add(ipamConf(tempDataDir()), 'c1');
    expect(Object.keys(result).sort()).toEqual(['cniVersion', 'ips']);
  });

  it('accepts a config loaded by the caller (the zone plugin runs IPAM in-process)', async () => {
    const dataDir = tempDataDir();
    const req = makeRequest(ipamConf(dataDir), { containerId: 'c1' });
    const config = loadIpamConfig(req.conf, req.env.args);
    expect((await ipamAdd(req, config)).ips?.[0]?.address).toBe('10.89.0.2/24');
  });

  it('gives requested addresses from CNI_ARGS, args and runtimeConfig', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir);
    expect((await add(conf, 'c1', 'eth0', 'IP=10.89.0.50')).ips?.[0]?.address).toBe('10.89.0.50/24');
    expect((await add({ ...conf, args: { cni: { ips: ['10.89.0.51'] } } }, 'c2')).ips?.[0]?.address).toBe('10.89.0.51/24');
    expect((await add({ ...conf, runtimeConfig: { ips: ['10.89.0.52/24'] } }, 'c3')).ips?.[0]?.address).toBe('10.89.0.52/24');
    // round-robin continues after the last reserved address, requested or not
    expect((await add(conf, 'c4')).ips?.[0]?.address).toBe('10.89.0.53/24');
  });

  it('allocates per attachment: one container may hold an address on several interfaces', async () => {
    const conf = ipamConf(tempDataDir());
    expect((await add(conf, 'c1', 'eth0')).ips?.[0]?.address).toBe('10.89.0.2/24');
    expect((await add(conf, 'c1', 'eth1')).ips?.[0]?.address).toBe('10.89.0.3/24');
  });

  it('refuses a second ADD of one attachment with code 112 and keeps its address', async () => {
    const dataDir = tempDataDir();
    await add(ipamConf(dataDir), 'c1');
    expect(await failure(() => add(ipamConf(dataDir), 'c1'))).toMatchObject({ code: 112 });
    expect(addressFiles(dataDir)).toEqual(['10.89.0.2']);
  });

  it('takes nothing when one range set fails (no half allocations)', async () => {
    const dataDir = tempDataDir();
    const conf = {
      ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] },
    };
    await add(conf, 'c1', 'eth0', 'IP=fd89::9');
    expect(await failure(() => add(conf, 'c2', 'eth0', 'IP=fd89::9'))).toMatchObject({ code: 111 });
    expect(addressFiles(dataDir)).toEqual(['10.89.0.2', 'fd89::9']);
  });

  it('is all or nothing when the store cannot be written: no address file stays, and the retry works once it can', async () => {
    const dataDir = tempDataDir();
    const blocker = join(storeOf(dataDir), 'last_reserved_ip.0');
    mkdirSync(blocker, { recursive: true });
    expect(await failure(() => add(ipamConf(dataDir), 'c1'))).toMatchObject({ code: 5 });
    expect(addressFiles(dataDir)).toEqual([]);
    expect(await failure(() => add(ipamConf(dataDir), 'c1'))).toMatchObject({ code: 5 });
    rmdirSync(blocker);
    expect((await add(ipamConf(dataDir), 'c1')).ips?.[0]?.address).toBe('10.89.0.2/24');
  });

  it('collects temp files a killed writer left, under the lock, on ADD, DEL and GC', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir);
    await add(conf, 'c1');
    const plant = () => writeFileSync(join(storeOf(dataDir), `.tmp-${spawnSync('true').pid}-3-abcdef`), 'c9\r\neth0');
    const temps = () => readdirSync(storeOf(dataDir)).filter((n) => n.startsWith('.tmp-'));
    plant();
    await add(conf, 'c2');
    expect(temps()).toEqual([]);
    plant();
    await ipamDel(makeRequest(conf, { command: 'DEL', containerId: 'c2' }));
    expect(temps()).toEqual([]);
    plant();
    await ipamGc(makeGcRequest(conf, [{ network: 'testnet', containerId: 'c1', ifname: 'eth0' }]));
    expect(temps()).toEqual([]);
  });

  it('fails with code 110 when the range is exhausted', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir, { ranges: [[{ subnet: '10.89.0.0/30' }]] });
    await add(conf, 'c1');
    const error = await failure(() => add(conf, 'c2'));
    expect(error).toMatchObject({ code: 110, message: 'no IP addresses available in range set 10.89.0.1-10.89.0.2 of 10.89.0.0/30' });
  });

  it('gives 16 concurrent ADDs 16 distinct addresses', async () => {
    const dataDir = tempDataDir();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => add(ipamConf(dataDir), `c${i}`)));
    const addresses = results.map((r) => r.ips?.[0]?.address);
    expect(new Set(addresses).size).toBe(16);
    expect(addressFiles(dataDir)).toHaveLength(16);
  });

  it('fails with code 7 on a bad config and with code 5 when the store cannot be made', async () => {
    const dataDir = tempDataDir();
    expect(await failure(() => add(ipamConf(dataDir, { ranges: [[{ subnet: '10.89.0.1/24' }]] }), 'c1'))).toMatchObject({ code: 7 });
    writeFileSync(join(dataDir, 'file'), '');
    expect(await failure(() => add(ipamConf(join(dataDir, 'file')), 'c1'))).toMatchObject({ code: 5 });
  });
});

describe('ipamDel', () => {
  const del = (conf: object, containerId: string, ifname = 'eth0') => ipamDel(makeRequest(conf, { command: 'DEL', containerId, ifname }));

  it('releases the attachment’s addresses in every range set and nothing else', async () => {
    const dataDir = tempDataDir();
    const conf = { ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] } };
    await add(conf, 'c1');
    await add(conf, 'c1', 'eth1');
    await add(conf, 'c2');
    await del(conf, 'c1');
    expect(addressFiles(dataDir)).toEqual(['10.89.0.3', '10.89.0.4', 'fd89::3', 'fd89::4']);
  });

  it('releases files of old host-local versions that hold only the container ID', async () => {
    const dataDir = tempDataDir();
    await add(ipamConf(dataDir), 'c2');
    writeFileSync(join(storeOf(dataDir), '10.89.0.9'), 'c1');
    await del(ipamConf(dataDir), 'c1');
    expect(addressFiles(dataDir)).toEqual(['10.89.0.2']);
  });

  it('succeeds when nothing is allocated, when the store is gone, and when the ranges no longer parse', async () => {
    const dataDir = tempDataDir();
    await del(ipamConf(dataDir), 'c1');
    expect(existsSync(storeOf(dataDir))).toBe(false);
    await add(ipamConf(dataDir), 'c1');
    await del(ipamConf(dataDir, { ranges: [[{ subnet: 'garbage' }]] }), 'c1');
    expect(addressFiles(dataDir)).toEqual([]);
    rmSync(dataDir, { recursive: true });
    await del(ipamConf(dataDir), 'c1');
  });
});

describe('ipamCheck', () => {
  const dual = (dataDir: string) => ({
    ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] },
  });
  const check = (conf: object, prevResult: object, containerId = 'c1') =>
    ipamCheck(makeRequest({ ...conf, prevResult: { cniVersion: '1.1.0', ...prevResult } }, { command: 'CHECK', containerId }));

  it('passes when the store matches prevResult, other plugins’ addresses aside', async () => {
    const dataDir = tempDataDir();
    const { ips } = await add(dual(dataDir), 'c1');
    await check(dual(dataDir), { ips: [...ips!, { address: '192.168.7.7/24' }] });
  });

  it('fails with code 113 when nothing is allocated (also without a store)', async () => {
    const dataDir = tempDataDir();
    expect(await failure(() => check(dual(dataDir), { ips: [{ address: '10.89.0.2/24' }] }))).toMatchObject({ code: 113 });
    await add(dual(dataDir), 'c2');
    expect(await failure(() => check(dual(dataDir), { ips: [{ address: '10.89.0.2/24' }] }))).toMatchObject({
      code: 113,
      message: 'no address is allocated to c1/eth0 in network testnet',
    });
  });

  it('fails with code 114 when prevResult and the store disagree', async () => {
    const dataDir = tempDataDir();
    await add(dual(dataDir), 'c1');
    const v4 = { address: '10.89.0.2/24' };
    const v6 = { address: 'fd89::2/64' };
    expect(await failure(() => check(dual(dataDir), { ips: [v4] }))).toMatchObject({
      code: 114,
      message: 'fd89::2 is allocated to c1/eth0 but missing from prevResult',
    });
    expect(await failure(() => check(dual(dataDir), { ips: [v4, v6, { address: '10.89.0.77/24' }] }))).toMatchObject({
      code: 114,
      message: 'prevResult lists 10.89.0.77, which the store does not hold for c1/eth0',
    });
    expect(await failure(() => check(dual(dataDir), { ips: [{ address: '10.89.0.2/16' }, v6] }))).toMatchObject({ code: 114 });
  });
});

describe('ipamGc', () => {
  it('releases every allocation not listed as valid, old-format files by container ID', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir);
    await add(conf, 'keep');
    await add(conf, 'keep', 'eth1');
    await add(conf, 'gone');
    writeFileSync(join(storeOf(dataDir), '10.89.0.50'), 'keep');
    writeFileSync(join(storeOf(dataDir), '10.89.0.51'), 'old-gone');
    await ipamGc(makeGcRequest(conf, [{ network: 'testnet', containerId: 'keep', ifname: 'eth0' }]));
    expect(addressFiles(dataDir)).toEqual(['10.89.0.2', '10.89.0.50']);
    expect(existsSync(join(storeOf(dataDir), 'lock'))).toBe(true);
  });

  it('releases everything for an empty list, nothing without a list, and is fine without a store', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir);
    await ipamGc(makeGcRequest(conf, []));
    await add(conf, 'c1');
    await ipamGc(makeGcRequest(conf, undefined));
    expect(addressFiles(dataDir)).toEqual(['10.89.0.2']);
    await ipamGc(makeGcRequest(conf, []));
    expect(addressFiles(dataDir)).toEqual([]);
  });
});

describe('ipamStatus', () => {
  const status = (conf: object) => ipamStatus(makeRequest(conf, { command: 'STATUS' }));

  it('succeeds when the store can be written and creates it', async () => {
    const dataDir = tempDataDir();
    await status(ipamConf(dataDir));
    expect(readdirSync(storeOf(dataDir))).toEqual([]);
  });

  it('fails with code 50 when the store cannot be created or written', async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, 'file'), '');
    expect(await failure(() => status(ipamConf(join(dataDir, 'file'))))).toMatchObject({ code: 50 });
  });

  it('fails with code 50 when a range set has no free address', async () => {
    const dataDir = tempDataDir();
    const conf = ipamConf(dataDir, { ranges: [[{ subnet: '10.89.0.0/30' }]] });
    await add(conf, 'c1');
    expect(await failure(() => status(conf))).toMatchObject({ code: 50, message: expect.stringContaining('no IP addresses left') });
  });

  // A read-only store (code 50) is proven as root in test/e2e/zone-ipam.test.ts with a
  // read-only bind mount: root ignores file modes, so a chmod here would prove nothing.
});
