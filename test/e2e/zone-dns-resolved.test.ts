// The host learns a zone's names through systemd-resolved: inside a booted systemd machine
// (test/support/systemd-machine.ts, whose root has systemd-resolved) the compiled zone plugin
// ADDs containers (network namespaces inside the machine, named by CNI_ARGS K8S_POD_NAME), and
// `resolvectl query <name>.<zone>.internal` in the machine answers their addresses through the
// zone's name server, which resolved asks for `~<zone>.internal` on the bridge only.
// - netlink backend: the plugin tells resolved itself (SetLinkDNS, SetLinkDomains,
//   SetLinkDefaultRoute). An ADD while resolved is stopped succeeds without a word; the resolved
//   started after it knows nothing until the next ADD tells it again; a restarted resolved
//   keeps what it was told.
// - networkd backend: systemd-networkd runs in the machine and gives resolved the DNS= and
//   Domains=~ of our .network file; the plugin sends resolved nothing. A netlink network joining
//   networkd's bridge is refused by resolved (the link is networkd's), without a warning.
// After the last DEL (the server stops, the bridge has no carrier) the name no longer resolves.
// - `zonectl repair` tells a resolved started after `zonectl up` (netlink backend) again.
//
// Each plugin call runs in a mount namespace of its own with /proc/sys writable again: nspawn
// mounts it read-only in a machine that joins a network namespace made outside it, and the
// plugin writes `net.*` sysctls (forwarding, the containers' IPv6 autoconfiguration).

import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { bundleCopies } from '../support/bundles.js';
import { poll } from '../support/poll.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const PLUGINS = '/opt/cni-zones';
const bundles = bundleCopies('zone-dns-resolved', ['zone', 'zonectl']);
const WRITABLE_PROC_SYS = 'mount -o remount,bind,rw /proc/sys && exec "$@"';
/** resolved answers from its cache for the TTL of our answers (5 s) and gives up on a server after a few tries. */
const RESOLVE_WAIT_MS = 20_000;
/** resolved has no server to ask for the name (no link with it as a domain, with a carrier). */
const NO_SERVER = /^failed: .*No appropriate name servers or networks for name found/;
/** A server answered NXDOMAIN. */
const NOT_FOUND = /^failed: .*Name '[^']+' not found/;

interface Zone {
  name: string;
  backend: 'netlink' | 'networkd';
  ranges: { subnet: string }[][];
}

function zoneConf(zone: Zone) {
  return {
    cniVersion: '1.1.0',
    name: zone.name,
    type: 'zone',
    backend: zone.backend,
    // masquerade is not what is tested, and networkd's nft calls are refused inside the machine
    ipMasq: false,
    nameServer: { stateDir: '/run/czt-dns' },
    ipam: { type: 'zone-ipam', dataDir: '/run/czt-ipam', ranges: zone.ranges },
  };
}

/**
 * A zonectl command as a runtime; in a mount namespace with /proc/sys writable (its plugins inherit
 * it) unless `inMachineMounts`: `zonectl down` removes the named netns, a mount point of the machine's.
 */
async function zonectl(machine: SystemdMachine, args: string[], inMachineMounts = false) {
  const own = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', WRITABLE_PROC_SYS, 'sh'];
  const [command = '', ...rest] = [...(inMachineMounts ? [] : own), join(PLUGINS, 'zonectl'), ...args, '--cni-path', PLUGINS];
  const run = await machine.exec(command, rest, { reject: false, timeoutMs: 60_000 });
  expect(run.exitCode, `zonectl ${args.join(' ')}: ${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stderr, `zonectl ${args.join(' ')}`).not.toMatch(/warning/);
  return run;
}

async function zonePlugin(machine: SystemdMachine, command: 'ADD' | 'DEL', zone: Zone, pod: string) {
  const unshare = ['--mount', '--propagation', 'private', '--', 'sh', '-c', WRITABLE_PROC_SYS, 'sh', join(PLUGINS, 'zone')];
  const run = await machine.exec('unshare', unshare, {
    input: JSON.stringify(zoneConf(zone)),
    reject: false,
    timeoutMs: 60_000,
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: `ct-${pod}`,
      CNI_NETNS: `/run/netns/ct-${pod}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: PLUGINS,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAME=${pod}`,
    },
  });
  expect(run.exitCode, `${command} ${pod}: ${run.stdout}\n${run.stderr}`).toBe(0);
  // Nothing to warn of: resolved took it, was not running, or is networkd's to tell.
  expect(run.stderr, `${command} ${pod}`).not.toMatch(/warning/);
  return run;
}

async function container(machine: SystemdMachine, pod: string): Promise<void> {
  await machine.exec('ip', ['netns', 'add', `ct-${pod}`]);
}

/** `resolvectl query`: each address with its link (`10.89.0.2 vz-nl`), sorted (resolved's order varies), or why it failed. */
async function resolve(machine: SystemdMachine, name: string): Promise<string[] | string> {
  const run = await machine.exec('resolvectl', ['query', '--legend=no', name], { reject: false, timeoutMs: 30_000 });
  if (run.exitCode !== 0) return `failed: ${(run.stderr || run.stdout).trim()}`;
  return [...run.stdout.matchAll(/\s([0-9a-f.:]+)\s+-- link: (\S+)/g)].map((m) => `${m[1]} ${m[2]}`).sort();
}

async function resolvesTo(machine: SystemdMachine, name: string, expected: string[]): Promise<void> {
  let last: string[] | string = '';
  await poll(
    `${name} to resolve to ${expected.join(', ')}`,
    RESOLVE_WAIT_MS,
    async () => {
      last = await resolve(machine, name);
      return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
    },
    async () => `last answer: ${JSON.stringify(last)}\n${await diagnosis(machine)}`,
  );
}

async function doesNotResolve(machine: SystemdMachine, name: string): Promise<string> {
  let last: string[] | string = '';
  await poll(
    `${name} to stop resolving`,
    RESOLVE_WAIT_MS,
    async () => {
      last = await resolve(machine, name);
      return typeof last === 'string' ? true : undefined;
    },
    async () => `last answer: ${JSON.stringify(last)}\n${await diagnosis(machine)}`,
  );
  return last;
}

async function linkStatus(machine: SystemdMachine, link: string): Promise<string> {
  const run = await machine.exec('resolvectl', ['status', link], { reject: false });
  return `${run.stdout}${run.stderr}`;
}

async function diagnosis(machine: SystemdMachine): Promise<string> {
  const status = await machine.exec('resolvectl', ['status'], { reject: false });
  const journal = await machine.exec(
    'journalctl',
    ['-u', 'systemd-resolved', '-u', 'systemd-networkd', '-u', 'cni-zones-dns-*', '-n', '40', '--no-pager'],
    {
      reject: false,
    },
  );
  return `resolvectl status:\n${status.stdout}${status.stderr}\njournal:\n${journal.stdout}`;
}

async function systemctl(machine: SystemdMachine, ...args: string[]): Promise<string> {
  const run = await machine.exec('systemctl', args, { reject: false });
  return run.stdout.trim();
}

async function ensureActive(machine: SystemdMachine, unit: string): Promise<void> {
  if ((await systemctl(machine, 'is-active', unit)) !== 'active') await machine.exec('systemctl', ['start', unit]);
  expect(await systemctl(machine, 'is-active', unit)).toBe('active');
}

async function machineWithPlugins(): Promise<SystemdMachine> {
  const machine = await bootSystemdMachine({ bindReadOnly: [{ host: await bundles.dir(), machine: PLUGINS }] });
  onTestFinished(() => machine.stop());
  return machine;
}

suite.describe('systemd-resolved asks the zone name server for the zone domain', () => {
  suite.it(
    'netlink backend: every ADD tells resolved, which keeps it across its restart; nothing after the last DEL',
    async () => {
      const zone: Zone = { name: 'nl', backend: 'netlink', ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] };
      const machine = await machineWithPlugins();
      for (const pod of ['web', 'two']) await container(machine, pod);

      // An ADD while resolved is stopped: not the ADD's business, and no warning either.
      await ensureActive(machine, 'systemd-resolved');
      await machine.exec('systemctl', ['stop', 'systemd-resolved']);
      await zonePlugin(machine, 'ADD', zone, 'web');
      await machine.exec('systemctl', ['start', 'systemd-resolved']);
      expect(await linkStatus(machine, 'vz-nl')).not.toContain('DNS Servers');
      expect(await resolve(machine, 'web.nl.internal')).toMatch(NO_SERVER);

      // The next ADD joining the zone tells the resolved that started since.
      await zonePlugin(machine, 'ADD', zone, 'two');
      await resolvesTo(machine, 'web.nl.internal', ['10.89.0.2 vz-nl', 'fd89::2 vz-nl']);
      await resolvesTo(machine, 'two.nl.internal', ['10.89.0.3 vz-nl', 'fd89::3 vz-nl']);
      const status = await linkStatus(machine, 'vz-nl');
      expect(status).toMatch(/DNS Servers: 10\.89\.0\.1\s+fd89::1/);
      expect(status).toMatch(/DNS Domain: ~nl\.internal/);
      expect(status).toContain('-DefaultRoute');

      // resolved keeps a link's settings across its own restart.
      await machine.exec('systemctl', ['restart', 'systemd-resolved']);
      await resolvesTo(machine, 'web.nl.internal', ['10.89.0.2 vz-nl', 'fd89::2 vz-nl']);

      // The name goes once resolved's cache lets go of it (our answers' TTL); the zone's server says NXDOMAIN.
      await zonePlugin(machine, 'DEL', zone, 'web');
      expect(await doesNotResolve(machine, 'web.nl.internal')).toMatch(NOT_FOUND);
      await resolvesTo(machine, 'two.nl.internal', ['10.89.0.3 vz-nl', 'fd89::3 vz-nl']);
      // The last member gone, the bridge has no carrier: resolved has no server for the domain.
      await zonePlugin(machine, 'DEL', zone, 'two');
      expect(await doesNotResolve(machine, 'two.nl.internal')).toMatch(NO_SERVER);
    },
    600_000,
  );

  suite.it(
    "networkd backend: networkd gives resolved our .network file's DNS= and Domains=~; nothing after the last DEL",
    async () => {
      const zone: Zone = { name: 'nd', backend: 'networkd', ranges: [[{ subnet: '10.90.0.0/24' }]] };
      const machine = await machineWithPlugins();
      for (const pod of ['web', 'two']) await container(machine, pod);
      await ensureActive(machine, 'systemd-resolved');
      await ensureActive(machine, 'systemd-networkd');

      await zonePlugin(machine, 'ADD', zone, 'web');
      await resolvesTo(machine, 'web.nd.internal', ['10.90.0.2 vz-nd']);
      const status = await linkStatus(machine, 'vz-nd');
      expect(status).toMatch(/DNS Servers: 10\.90\.0\.1/);
      expect(status).toMatch(/DNS Domain: ~nd\.internal/);

      // A network of the netlink backend on the same zone joins networkd's bridge: resolved refuses
      // to be told about a link networkd manages (LinkBusy), which is no warning.
      const adopted: Zone = { ...zone, backend: 'netlink' };
      await zonePlugin(machine, 'ADD', adopted, 'two');
      await resolvesTo(machine, 'two.nd.internal', ['10.90.0.3 vz-nd']);
      await zonePlugin(machine, 'DEL', adopted, 'two');

      await zonePlugin(machine, 'DEL', zone, 'web');
      expect(await doesNotResolve(machine, 'web.nd.internal')).toMatch(NO_SERVER);
    },
    600_000,
  );

  suite.it(
    'zonectl repair tells a resolved that started after the zone was made',
    async () => {
      const zone: Zone = { name: 'rp', backend: 'netlink', ranges: [[{ subnet: '10.91.0.0/24' }]] };
      const machine = await machineWithPlugins();
      const list = { cniVersion: '1.1.0', name: zone.name, plugins: [{ ...zoneConf(zone), name: undefined, cniVersion: undefined }] };
      await machine.exec('sh', ['-c', `mkdir -p /etc/cni/net.d && cat >/etc/cni/net.d/${zone.name}.conflist`], {
        input: JSON.stringify(list),
      });
      // Made here, not by `zonectl up` in its own mount namespace, where the named netns would go with it.
      await container(machine, 'web');
      await ensureActive(machine, 'systemd-resolved');
      await machine.exec('systemctl', ['stop', 'systemd-resolved']);
      await zonectl(machine, ['up', 'ct-web', '--network', zone.name]);
      await machine.exec('systemctl', ['start', 'systemd-resolved']);
      expect(await resolve(machine, 'ct-web.rp.internal')).toMatch(NO_SERVER);

      const repair = await zonectl(machine, ['repair']);
      expect(repair.stdout).not.toMatch(/problem|NOT restored/);
      await resolvesTo(machine, 'ct-web.rp.internal', ['10.91.0.2 vz-rp']);
      expect(await linkStatus(machine, 'vz-rp')).toMatch(/DNS Domain: ~rp\.internal/);

      await zonectl(machine, ['down', 'ct-web'], true);
      expect(await doesNotResolve(machine, 'ct-web.rp.internal')).toMatch(NO_SERVER);
    },
    600_000,
  );
});
