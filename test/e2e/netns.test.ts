// lib/netns against the kernel: entering namespaces from the test process (and always coming
// back), opening bind-mounted namespace files, named namespaces, and sysctls that change
// only inside the namespace they are written in. Every namespace here is a `czt-` test one.

import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadLibc } from '../../lib/libc/index.js';
import { inNetns, inNetnsSync } from '../../lib/netns/enter.js';
import { isNetnsError, isNetnsNotFound } from '../../lib/netns/errors.js';
import { createNamedNetns, listNamedNetns, namedNetnsExists, removeNamedNetns } from '../../lib/netns/named.js';
import { CURRENT_NETNS_PATH, currentNetnsInode, isCurrentNetns, openNetns } from '../../lib/netns/open.js';
import { interfaceSysctl, readSysctl, writeSysctl, writeSysctls } from '../../lib/netns/sysctl.js';
import { cleanupOnExit } from '../support/exit-cleanup.js';
import { createSandbox, deleteNetnsSync, ipIn, nsExec, type Sandbox, uniqueNetnsName } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'nsenter', 'sysctl']);

function threadNetns(): string {
  return readlinkSync(CURRENT_NETNS_PATH);
}

priv.describe('lib/netns in real namespaces', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox();
  });
  afterAll(() => sandbox?.cleanup());

  priv.it('opens a named namespace (a bind mount) and tells it from our own', () => {
    const handle = openNetns(sandbox.host.path);
    try {
      expect(handle.inode).not.toBe(currentNetnsInode());
      expect(isCurrentNetns(handle)).toBe(false);
      expect(readlinkSync(`/proc/self/fd/${handle.fd}`)).toBe(sandbox.host.path);
    } finally {
      handle.close();
    }
  });

  priv.it('enters a namespace for a synchronous window and comes back', async () => {
    const before = threadNetns();
    const target = openNetns(sandbox.host.path);
    try {
      const inside = await inNetns(target, () => ({ ns: threadNetns(), links: readFileSync('/proc/net/dev', 'utf8') }));
      expect(inside.ns).toBe(`net:[${target.inode}]`);
      // /proc/net follows the thread's namespace: only lo exists in a fresh one.
      expect(inside.links).toMatch(/^\s*lo:/m);
      expect(inside.links).not.toMatch(/^\s*eth0:/m);
      expect(threadNetns()).toBe(before);
    } finally {
      target.close();
    }
  });

  priv.it('returns to the original namespace when the function throws', async () => {
    const before = threadNetns();
    let seenInside = '';
    const failing = inNetns(sandbox.host.path, () => {
      seenInside = threadNetns();
      throw new Error('fails inside');
    });
    await expect(failing).rejects.toThrow('fails inside');
    expect(seenInside).not.toBe(before);
    expect(threadNetns()).toBe(before);
  });

  priv.it('nests: an inner window returns to the outer namespace, not the root one', async () => {
    const container = await sandbox.container('nest');
    const libc = await loadLibc();
    const before = threadNetns();
    const outer = openNetns(sandbox.host.path);
    const inner = openNetns(container.path);
    try {
      const seen = inNetnsSync(libc, outer, () => {
        const innerSeen = inNetnsSync(libc, inner, threadNetns);
        return [innerSeen, threadNetns()];
      });
      expect(seen).toEqual([`net:[${inner.inode}]`, `net:[${outer.inode}]`]);
      expect(threadNetns()).toBe(before);
    } finally {
      outer.close();
      inner.close();
    }
  });

  priv.it('reports a namespace removed by its owner as not found', async () => {
    const container = await sandbox.container('gone');
    await ipIn(container, 'link', 'show'); // it exists...
    deleteNetnsSync(container.name); // ...until the runtime removes it
    const error = await inNetns(container.path, () => 1).catch((e: unknown) => e);
    expect(isNetnsNotFound(error)).toBe(true);
  });

  priv.it('writes sysctls inside a namespace only', async () => {
    const rootBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const ns = sandbox.host;
    expect(await readSysctl('net.ipv4.ip_forward', { netns: ns.path })).toBe('0');

    await writeSysctl('net.ipv4.ip_forward', 1, { netns: ns.path });

    const seenByNsenter = await nsExec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward']);
    expect(seenByNsenter.stdout.trim()).toBe('1');
    expect(await readSysctl('net.ipv4.ip_forward', { netns: ns.path })).toBe('1');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(rootBefore);
  });

  priv.it('writes per-interface sysctls of an interface that exists only in the namespace', async () => {
    const [a, b] = [await sandbox.container('sysa'), await sandbox.container('sysb')];
    const pair = await sandbox.connect(a, b, { nameA: 'eth0.5', nameB: 'peer0' });
    const ifname = pair.a.ifname;
    await writeSysctls(
      [
        [interfaceSysctl('ipv6', ifname, 'accept_dad'), 0],
        [interfaceSysctl('ipv4', ifname, 'route_localnet'), 1],
      ],
      { netns: a.path },
    );
    const check = await nsExec(a, 'sh', [
      '-c',
      `cat /proc/sys/net/ipv6/conf/${ifname}/accept_dad /proc/sys/net/ipv4/conf/${ifname}/route_localnet`,
    ]);
    expect(check.stdout.split('\n')).toEqual(['0', '1']);
    // The root namespace has no such interface at all.
    const error = await readSysctl(interfaceSysctl('ipv6', ifname, 'accept_dad')).catch((e: unknown) => e);
    expect(isNetnsError(error, 'sysctl-missing')).toBe(true);
  });

  priv.it('creates and removes a named namespace like ip netns', async () => {
    const name = uniqueNetnsName('named');
    const cancelExitCleanup = cleanupOnExit(() => deleteNetnsSync(name));
    try {
      const path = await createNamedNetns(name);
      expect(path).toBe(`/run/netns/${name}`);
      expect(listNamedNetns()).toContain(name);
      const listed = await nsExec(path, 'ip', ['-o', 'link']);
      expect(listed.stdout.trim().split('\n')).toHaveLength(1); // lo only: a fresh namespace
      const handle = openNetns(path);
      expect(isCurrentNetns(handle)).toBe(false);
      handle.close();

      const again = await createNamedNetns(name).catch((e: unknown) => e);
      expect(isNetnsError(again, 'exists')).toBe(true);

      expect(await removeNamedNetns(name)).toBe(true);
      expect(namedNetnsExists(name)).toBe(false);
      expect(await removeNamedNetns(name)).toBe(false);
    } finally {
      deleteNetnsSync(name);
      cancelExitCleanup();
    }
  });
});
