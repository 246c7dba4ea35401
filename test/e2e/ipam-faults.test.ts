// zone-ipam (the compiled executable, as installed) against a hostile or failing store: a full
// disk (a 4 KiB tmpfs in a private mount namespace) fails ADD without keeping the address, and
// the retry works once there is room; a symlink planted at the lock path is refused and its
// target left alone; temp files a killed writer left are collected.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { bundleCopies } from '../support/bundles.js';
import { createNetns, type Netns, removeNetns } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['unshare', 'mount']);
const bundles = bundleCopies('ipam-faults', ['zone-ipam']);
const NETWORK = 'zt';

let root: string;
let plugin: string;
let container: Netns;
let counter = 0;

beforeAll(async () => {
  if (!priv.canRun) return;
  root = makeTestTempDir('ipam-faults');
  plugin = join(await bundles.dir(), 'zone-ipam');
  container = await createNetns('ipamct');
}, 120_000);

afterAll(async () => {
  if (container) await removeNetns(container);
  if (root) rmSync(root, { recursive: true, force: true });
});

function conf(dataDir: string): object {
  return {
    cniVersion: '1.0.0',
    name: NETWORK,
    type: 'bridge',
    ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }]] },
  };
}

function freshDataDir(): string {
  return join(root, `data${++counter}`);
}

const ipam = (command: string, dataDir: string, containerId: string) =>
  runPlugin(plugin, { command, containerId, netns: container.path, ifname: 'eth0', path: '/usr/lib/cni', stdin: conf(dataDir) });

const addresses = (store: string) => (existsSync(store) ? readdirSync(store).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name)) : []);

// Each step's exit code, output and store listing land in files outside the tmpfs.
const fullDiskScript = `
set -u
data="$1"; out="$2"
mkdir -p "$data" && mount -t tmpfs -o size=4k tmpfs "$data" || exit 99
step() {
  CNI_COMMAND=ADD CNI_CONTAINERID=full-1 CNI_NETNS="$NETNS" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$PLUGIN" < "$CONF" > "$out/$1.json"
  echo $? > "$out/$1.rc"
  ls -A "$data/${NETWORK}" > "$out/$1.ls"
}
step full
step retry
mount -o remount,size=1m "$data" || exit 98
step freed
`;

describe('zone-ipam on a failing or hostile store', () => {
  priv.it('on a full disk fails ADD with code 5 and keeps no address; the retry works once there is room', async () => {
    const dataDir = freshDataDir();
    const out = join(root, `out${counter}`);
    mkdirSync(out);
    writeFileSync(join(out, 'conf.json'), JSON.stringify(conf(dataDir)));
    const run = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', fullDiskScript, 'sh', dataDir, out], {
      reject: false,
      env: { PLUGIN: plugin, CONF: join(out, 'conf.json'), NETNS: container.path, NODE_EXTRA_CA_CERTS: undefined },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const step = (name: string) => ({
      rc: readFileSync(join(out, `${name}.rc`), 'utf8').trim(),
      json: JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8') || 'null') as {
        code?: number;
        msg?: string;
        ips?: { address: string }[];
      },
      files: readFileSync(join(out, `${name}.ls`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .sort(),
    });

    const full = step('full');
    expect(full.rc).toBe('1');
    expect(full.json).toMatchObject({ code: 5, msg: expect.stringMatching(/last_reserved_ip\.0/) });
    expect(full.files).toEqual(['lock']);
    // the same failure again, not "already allocated" (112)
    expect(step('retry')).toMatchObject({ rc: '1', json: { code: 5 }, files: ['lock'] });
    const freed = step('freed');
    expect(freed.rc).toBe('0');
    expect(freed.json.ips?.[0]?.address).toBe('10.89.0.2/24');
    expect(freed.files).toEqual(['10.89.0.2', 'last_reserved_ip.0', 'lock']);
  });

  priv.it('refuses a symlink planted at the lock path and leaves its target untouched', async () => {
    const dataDir = freshDataDir();
    const store = join(dataDir, NETWORK);
    mkdirSync(store, { recursive: true });
    const victim = join(root, `victim${counter}`);
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(store, 'lock'));

    const refused = await ipam('ADD', dataDir, 'sym-1');
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
    expect(refused.json).toMatchObject({ code: 5, msg: `refusing lock file ${join(store, 'lock')}`, details: 'it is a symbolic link' });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(addresses(store)).toEqual([]);

    // a dangling one does not get its target created either
    rmSync(join(store, 'lock'));
    symlinkSync(join(root, `nowhere${counter}`), join(store, 'lock'));
    expect((await ipam('ADD', dataDir, 'sym-1')).json).toMatchObject({ code: 5 });
    expect(existsSync(join(root, `nowhere${counter}`))).toBe(false);
  });

  priv.it('collects the temp files of killed writers, keeps those of live ones', async () => {
    const dataDir = freshDataDir();
    const store = join(dataDir, NETWORK);
    mkdirSync(store, { recursive: true });
    const dead = `.tmp-${spawnSync('true').pid}-1-abcdef`;
    const live = `.tmp-${process.pid}-1-abcdef`;
    for (const name of [dead, live]) writeFileSync(join(store, name), 'c9\r\neth0');

    const added = await ipam('ADD', dataDir, 'tmp-1');
    expect(added.exitCode, added.stdout + added.stderr).toBe(0);
    expect(readdirSync(store).sort()).toEqual([live, '10.89.0.2', 'last_reserved_ip.0', 'lock'].sort());
  });
});
