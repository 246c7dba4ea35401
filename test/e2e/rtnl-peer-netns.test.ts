// lib/rtnl reading a veth's other end in another namespace without entering it, against the
// kernel: in a "host" test namespace a bridge with a port whose peer lives in a "machine"
// namespace (as nspawn lays out a --network-zone machine), the port's IFLA_LINK_NETNSID and
// IFLA_LINK, the bridge's ports by master, and the machine's addresses listed from the host by the
// namespace id: only with strict checking, and never the host's own addresses instead. `ip` in
// the namespaces is the independent witness.
import { afterAll, beforeAll, expect } from 'vitest';
import { Rtnl } from '../../lib/rtnl/client.js';
import { isRtnlError } from '../../lib/rtnl/errors.js';
import { createSandbox, ipIn, type Netns, type Sandbox } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'nsenter']);

priv.describe('lib/rtnl: the other end of a veth, in its own namespace', () => {
  let sandbox: Sandbox;
  let machine: Netns;
  let strict: Rtnl;
  let loose: Rtnl;

  beforeAll(async () => {
    sandbox = await createSandbox();
    machine = await sandbox.container('machine');
    const { host } = sandbox;
    await ipIn(host, 'link', 'add', 'vz-t', 'type', 'bridge');
    await ipIn(host, 'link', 'add', 'vb-db', 'type', 'veth', 'peer', 'name', 'host0', 'netns', machine.path);
    // Another bridge with a port of its own, which the first bridge's list must leave out.
    await ipIn(host, 'link', 'add', 'vz-u', 'type', 'bridge');
    await ipIn(host, 'link', 'add', 'vb-x', 'type', 'veth', 'peer', 'name', 'vb-y');
    await ipIn(host, 'link', 'set', 'vb-x', 'master', 'vz-u');
    await ipIn(host, 'link', 'set', 'vb-db', 'master', 'vz-t');
    await ipIn(host, 'address', 'add', '10.77.0.1/24', 'dev', 'vz-t');
    await ipIn(machine, 'address', 'add', '10.77.0.130/24', 'dev', 'host0');
    await ipIn(machine, 'address', 'add', 'fd77::82/64', 'dev', 'host0', 'nodad');
    await ipIn(machine, 'link', 'set', 'host0', 'up');
    strict = await Rtnl.open(host.path, { strictChecking: true });
    loose = await Rtnl.open(host.path);
    sandbox.defer(() => [strict, loose].forEach((client) => client?.close()));
  });
  afterAll(() => sandbox?.cleanup());

  priv.it('sees the peer’s namespace id and index on the port, and lists a bridge’s ports by master', async () => {
    const bridge = await strict.getLink('vz-t');
    const ports = await strict.listLinks({ master: bridge!.index });
    expect(ports.map((l) => l.name)).toEqual(['vb-db']);
    expect(await loose.listLinks({ master: bridge!.index })).toEqual(ports);
    const [port] = ports;
    const [seen] = JSON.parse((await ipIn(sandbox.host, '-j', 'link', 'show', 'vb-db')).stdout) as {
      link_netnsid: number;
      link_index: number;
    }[];
    expect(port).toMatchObject({ peerNetnsId: seen?.link_netnsid, peerIndex: seen?.link_index });
    const [peer] = JSON.parse((await ipIn(machine, '-j', 'link', 'show', 'host0')).stdout) as { ifindex: number }[];
    expect(port?.peerIndex).toBe(peer?.ifindex);
  });

  priv.it('lists the machine’s addresses from the host by its namespace id, with strict checking only', async () => {
    const port = await strict.getLink('vb-db');
    const query = { netnsId: port!.peerNetnsId! };
    const theirs = await strict.listAddresses(port!.peerIndex!, query);
    expect(theirs.map((a) => a.cidr).filter((cidr) => !cidr.startsWith('fe80:'))).toEqual(['10.77.0.130/24', 'fd77::82/64']);
    // Every address of that namespace: its lo, too; none of the host's.
    const all = (await strict.listAddresses(undefined, query)).map((a) => a.address);
    expect(all).toContain('127.0.0.1');
    expect(all).not.toContain('10.77.0.1');
    // Without strict checking the kernel would answer for the host: refused, not passed on.
    const error = await loose.listAddresses(port!.peerIndex!, query).catch((e: unknown) => e);
    expect(isRtnlError(error, 'malformed')).toBe(true);
    // A namespace id that names nothing is the kernel's refusal.
    expect(isRtnlError(await strict.listAddresses(undefined, { netnsId: 4242 }).catch((e: unknown) => e))).toBe(true);
  });

  priv.it('filters the host’s own address lists by link in the kernel, as before', async () => {
    const own = await strict.listAddresses('vz-t');
    expect(own.map((a) => a.cidr).filter((cidr) => !cidr.startsWith('fe80:'))).toEqual(['10.77.0.1/24']);
    expect((await loose.listAddresses('vz-t')).map((a) => a.cidr)).toEqual(own.map((a) => a.cidr));
  });
});
