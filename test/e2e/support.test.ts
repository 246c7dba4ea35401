// The privileged test support works, and its checks can fail: namespaces and sandboxes
// come and go without a trace, the root-namespace snapshot notices changes, plugins run
// the way a runtime runs them, and networkd and nspawn run where tests need them.

import { existsSync, statSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { listSandboxProcesses } from '../support/leftovers.js';
import { addAddress, createSandbox, createVethPair, ipIn, listNetns, nsExec, type Netns, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { runNspawn, startNspawn, uniqueMachineName } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { makeTestTempDir } from '../support/paths.js';
import { runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { isProcessAlive } from '../support/processes.js';
import { diffSnapshots, snapshotNamespace, snapshotRootNamespace } from '../support/root-namespace.js';

const basics = privileged(['ip', 'nsenter', 'busybox']);
const networkdTools = ['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon'];
const networkd = privileged(networkdTools);
const nspawn = privileged(['ip', 'nsenter', 'systemd-nspawn']);
const zone = privileged([...new Set([...networkdTools, 'systemd-nspawn'])]);

async function newSandbox(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  onTestFinished(() => sandbox.cleanup());
  return sandbox;
}

async function waitForListener(ns: Netns, port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { stdout } = await nsExec(ns, 'ss', ['-Hltn', `sport = :${port}`]);
    if (stdout.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing listens on port ${port} in ${ns.name}`);
}

/** A fake plugin: reports its environment, stdin and namespace as JSON after $SLEEP_FOR s, exits with $EXIT_WITH. */
async function writeEchoPlugin(dir: string): Promise<string> {
  const path = join(dir, 'echo-plugin');
  await writeFile(
    path,
    `#!/bin/sh
stdin=$(cat); [ -n "$stdin" ] || stdin=null
netns=$(readlink /proc/self/ns/net)
dbus=no; [ -S /run/dbus/system_bus_socket ] && dbus=yes
extra=\${NODE_EXTRA_CA_CERTS-unset} vitest=\${VITEST-unset}
sleep \${SLEEP_FOR:-0}
printf '{"command":"%s","containerId":"%s","netns":"%s","ifname":"%s","args":"%s","path":"%s","stdin":%s,"ownNetns":"%s","dbus":"%s","extraCaCerts":"%s","vitest":"%s"}\\n' \\
  "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$stdin" "$netns" "$dbus" "$extra" "$vitest"
echo "to stderr" >&2
exit \${EXIT_WITH:-0}
`,
  );
  await chmod(path, 0o755);
  return path;
}

/** What `readlink /proc/self/ns/net` prints inside the namespace at `path`. */
function namespaceId(path: string): string {
  return `net:[${statSync(path).ino}]`;
}

basics.describe('network namespace sandbox', () => {
  it('connects two namespaces by veth and carries TCP between them', async () => {
    const sandbox = await newSandbox();
    const container = await sandbox.container('web');
    const link = await sandbox.connect(sandbox.host, container);
    await addAddress(sandbox.host, link.a.ifname, '10.99.0.1/24');
    await addAddress(container, link.b.ifname, '10.99.0.2/24');
    await addAddress(container, link.b.ifname, 'fd99::2/64');
    await addAddress(sandbox.host, link.a.ifname, 'fd99::1/64');

    sandbox.spawn(container, 'busybox', ['nc', '-ll', '-p', '8080', '-e', '/bin/busybox', 'echo', 'pong']);
    await waitForListener(container, 8080);
    const v4 = await nsExec(sandbox.host, 'busybox', ['nc', '-w', '2', '10.99.0.2', '8080'], { input: '' });
    const v6 = await nsExec(sandbox.host, 'busybox', ['nc', '-w', '2', 'fd99::2', '8080'], { input: '' });
    expect(v4.stdout).toBe('pong');
    expect(v6.stdout).toBe('pong');
  });

  it('names namespaces czt-<pid>-<n>-<role> and removes all of them, idempotently', async () => {
    const sandbox = await createSandbox();
    const container = await sandbox.container('Some Role!');
    expect(sandbox.host.name).toMatch(new RegExp(`^czt-${process.pid}-\\d+-host$`));
    expect(container.name).toMatch(new RegExp(`^czt-${process.pid}-\\d+-somerole$`));
    const sleeper = sandbox.spawn(container, 'sleep', ['1000']);
    let deferredRan = 0;
    sandbox.defer(() => (deferredRan += 1));
    expect(await listNetns()).toEqual(expect.arrayContaining([sandbox.host.name, container.name]));

    await Promise.all([sandbox.cleanup(), sandbox.cleanup()]);
    await sandbox.cleanup();

    expect(await listNetns()).not.toContain(sandbox.host.name);
    expect(await listNetns()).not.toContain(container.name);
    expect(isProcessAlive(sleeper.pid ?? 0)).toBe(false);
    expect(deferredRan).toBe(1);
    await expect(sandbox.container('late')).rejects.toThrow(/cleaned up/);
  });

  it('creates veth pairs inside a namespace, never in the root namespace', async () => {
    const sandbox = await newSandbox();
    const container = await sandbox.container('c');
    const rootLinksBefore = (await execa('ip', ['-o', 'link'])).stdout;
    const pair = await createVethPair(sandbox.host, container, { nameA: 'vh-test', nameB: 'eth0', mtu: 1400 });
    const hostSide = JSON.parse((await ipIn(sandbox.host, '-j', 'link', 'show', 'vh-test')).stdout) as { mtu: number }[];
    const containerSide = JSON.parse((await ipIn(container, '-j', 'link', 'show', 'eth0')).stdout) as { mtu: number }[];
    expect(pair.a.ifname).toBe('vh-test');
    expect(hostSide[0]?.mtu).toBe(1400);
    expect(containerSide[0]?.mtu).toBe(1400);
    expect((await execa('ip', ['-o', 'link'])).stdout).toBe(rootLinksBefore);
  });

  it('refuses to run a command in its own (root) network namespace', () => {
    expect(() => nsExec('/proc/self/ns/net', 'true')).toThrow(/refusing/);
  });
});

basics.describe('root namespace snapshot', () => {
  it('is unchanged by a sandbox that comes and goes', async () => {
    const before = await snapshotRootNamespace();
    const sandbox = await createSandbox();
    const container = await sandbox.container('c');
    const link = await sandbox.connect(sandbox.host, container);
    await addAddress(container, link.b.ifname, '10.98.0.2/24');
    await sandbox.cleanup();
    expect(diffSnapshots(before, await snapshotRootNamespace())).toEqual([]);
  });

  it('notices links, addresses, routes, nft tables and sysctls that change', async () => {
    const sandbox = await newSandbox();
    const peer = await sandbox.container('peer');
    const before = await snapshotNamespace(sandbox.host);
    const link = await sandbox.connect(sandbox.host, peer, { nameA: 'vz-snap' });
    await addAddress(sandbox.host, 'vz-snap', '10.97.0.1/24');
    await ipIn(sandbox.host, 'route', 'add', '10.96.0.0/16', 'via', '10.97.0.2');
    await nsExec(sandbox.host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.vz-snap.route_localnet=1']);
    await nsExec(sandbox.host, 'nft', ['-f', '-'], {
      input: 'table inet czt_snapshot {\n chain c { type filter hook input priority 0; }\n}\n',
    });
    const after = await snapshotNamespace(sandbox.host);

    const changes = diffSnapshots(before, after);
    expect(link.a.ifname).toBe('vz-snap');
    expect(changes).toEqual(
      expect.arrayContaining([
        'link added: vz-snap up',
        'address added: vz-snap 10.97.0.1/24',
        expect.stringMatching(/^route added: ipv4 dst 10\.96\.0\.0\/16 gateway 10\.97\.0\.2 dev vz-snap/),
        expect.stringMatching(/^nft table added: inet czt_snapshot/),
        'sysctl net.ipv4.ip_forward: 0 -> 1',
        'sysctl net.ipv4.conf.vz-snap.route_localnet: (absent) -> 1',
      ]),
    );
    expect(diffSnapshots(after, after)).toEqual([]);
  });
});

basics.describe('runPlugin', () => {
  let dir: string;
  let plugin: string;
  beforeAll(async () => {
    dir = makeTestTempDir('plugin');
    plugin = await writeEchoPlugin(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes the CNI environment and stdin like a runtime, without NODE_EXTRA_CA_CERTS', async () => {
    const outcome = await runPlugin(plugin, {
      command: 'ADD',
      containerId: 'cid-1',
      netns: '/run/netns/x',
      ifname: 'eth0',
      path: ['/opt/cni/bin', '/usr/lib/cni'],
      args: { IgnoreUnknown: '1', K8S_POD_NAME: 'p' },
      stdin: { cniVersion: '1.0.0', name: 'n' },
      env: { NODE_EXTRA_CA_CERTS: '/should/be/overridable' },
    });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stderr).toBe('to stderr');
    expect(outcome.json).toMatchObject({
      command: 'ADD',
      containerId: 'cid-1',
      netns: '/run/netns/x',
      ifname: 'eth0',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=p',
      path: '/opt/cni/bin:/usr/lib/cni',
      stdin: { cniVersion: '1.0.0', name: 'n' },
      extraCaCerts: '/should/be/overridable',
    });
    const plain = await runPlugin(plugin, { command: 'VERSION', stdin: '{}' });
    expect(plain.json).toMatchObject({ command: 'VERSION', containerId: '', extraCaCerts: 'unset', vitest: 'unset' });
  });

  it('reports failures instead of throwing', async () => {
    const failed = await runPlugin(plugin, { command: 'DEL', env: { EXIT_WITH: '7' } });
    expect(failed.exitCode).toBe(7);
    expect(failed.json).toMatchObject({ command: 'DEL' });
    const missing = await runPlugin(join(dir, 'no-such-plugin'), { command: 'ADD' });
    expect(missing.exitCode).toBeUndefined();
    expect(missing.failure).toMatch(/ENOENT/);
    const slow = await runPlugin(plugin, { command: 'ADD', env: { SLEEP_FOR: '5' }, timeoutMs: 100 });
    expect(slow.timedOut).toBe(true);
  });

  it('runs the plugin inside a namespace', async () => {
    const sandbox = await newSandbox();
    const outcome = await runPlugin(plugin, { command: 'ADD', inNamespace: sandbox.host });
    expect(outcome.json).toMatchObject({ ownNetns: namespaceId(sandbox.host.path) });
  });
});

networkd.describe('networkd sandbox', () => {
  let sandbox: NetworkdSandbox;
  beforeAll(async () => {
    sandbox = await startNetworkdSandbox({ hideVendorNetworkFiles: true });
  });
  afterAll(() => sandbox?.stop());

  it('answers networkctl', async () => {
    const { stdout } = await sandbox.exec('networkctl', ['list', '--json=short']);
    const list = JSON.parse(stdout) as { Interfaces: { Name: string }[] };
    expect(list.Interfaces.map((link) => link.Name)).toContain('lo');
  });

  it('creates a bridge from a .netdev file after reload', async () => {
    await writeFile(join(sandbox.networkPath, '10-czt-test.netdev'), '[NetDev]\nName=vz-czttest\nKind=bridge\n');
    await sandbox.reload();
    const { stdout } = await sandbox.exec('ip', ['-j', '-d', 'link', 'show', 'vz-czttest']);
    const [bridge] = JSON.parse(stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
    expect(bridge?.linkinfo?.info_kind).toBe('bridge');
    const status = await sandbox.exec('networkctl', ['status', 'vz-czttest', '--no-pager'], { reject: false });
    expect(status.stdout).toContain('vz-czttest');
  });

  it('reads runtime files written through /proc/PID/root into its private /run', async () => {
    await writeFile(join(sandbox.runtimeNetworkPath, '10-czt-runtime.netdev'), '[NetDev]\nName=vz-cztrun\nKind=bridge\n');
    await sandbox.reload();
    const { stdout } = await sandbox.exec('ip', ['-j', 'link', 'show', 'vz-cztrun']);
    expect(JSON.parse(stdout)).toHaveLength(1);
    expect(existsSync('/run/systemd/network/10-czt-runtime.netdev')).toBe(false);
  });

  it('is a host namespace for veths and sees /run/netns of the machine', async () => {
    const containers = await newSandbox();
    const container = await containers.container('c');
    const pair = await createVethPair(sandbox.host, container, { nameA: 'czt-h0', nameB: 'eth0' });
    const { stdout } = await sandbox.exec('ip', ['-j', 'link', 'show', pair.a.ifname]);
    expect(JSON.parse(stdout)).toHaveLength(1);
    const seen = await sandbox.exec('nsenter', [`--net=${container.path}`, 'readlink', '/proc/self/ns/net']);
    expect(seen.stdout).toBe(namespaceId(container.path));
    await ipIn(sandbox.host, 'link', 'del', pair.a.ifname);
  });

  it('runs a plugin where it sees /run/systemd and the private D-Bus', async () => {
    const dir = makeTestTempDir('plugin');
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const plugin = await writeEchoPlugin(dir);
    const outcome = await sandbox.runPlugin(plugin, { command: 'ADD', containerId: 'c1' });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.json).toMatchObject({ dbus: 'yes', ownNetns: namespaceId(sandbox.netnsPath) });
  });

  it('stops a command that runs too long, although nsenter forked it', async () => {
    const started = performance.now();
    const result = await sandbox.exec('sleep', ['100'], { timeoutMs: 100, reject: false });
    expect(result.signal).toBe('SIGKILL');
    expect(performance.now() - started).toBeLessThan(5_000);
    const { stdout } = await sandbox.exec('ps', ['-eo', 'args']);
    expect(stdout).not.toContain('sleep 100');
  });

  it('stops without leaving a process, namespace or directory behind', async () => {
    const others = new Set(listSandboxProcesses().map((p) => p.pid));
    const extra = await startNetworkdSandbox();
    const { pid, networkPath } = extra;
    // Other test processes on this machine may be starting sandboxes of their own meanwhile.
    const started = listSandboxProcesses().filter((p) => !others.has(p.pid) && p.owner === process.pid);
    expect(started.map((p) => p.owner)).toEqual([process.pid, process.pid]); // unshare and init
    await Promise.all([extra.stop(), extra.stop()]);
    expect(started.filter((p) => isProcessAlive(p.pid))).toEqual([]);
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(networkPath)).toBe(false);
    expect(existsSync(`/proc/${pid}/ns/net`)).toBe(false);
  });
});

nspawn.describe('systemd-nspawn machine', () => {
  it('runs busybox in a machine whose namespaces are the test’s', async () => {
    const sandbox = await newSandbox();
    const machineNetns = await sandbox.container('machine');
    const machine = uniqueMachineName('echo');
    const result = await runNspawn(['/bin/busybox', 'sh', '-c', 'echo hello; readlink /proc/self/ns/net'], {
      root: await nspawnRoot(),
      machine,
      hostNetns: sandbox.host,
      machineNetns,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual(['hello', namespaceId(machineNetns.path)]);
    expect(existsSync(`/run/systemd/nspawn/propagate/${machine}`)).toBe(false);
  });

  it('serves HTTP from a machine to its host namespace over veth', async () => {
    const sandbox = await newSandbox();
    const machineNetns = await sandbox.container('httpd');
    const link = await sandbox.connect(sandbox.host, machineNetns);
    await addAddress(sandbox.host, link.a.ifname, '10.95.0.1/24');
    await addAddress(machineNetns, link.b.ifname, '10.95.0.2/24');
    const machine = startNspawn(['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'], {
      root: await nspawnRoot(),
      hostNetns: sandbox.host,
      machineNetns,
      ephemeral: true,
    });
    sandbox.defer(() => machine.stop());
    await waitForListener(machineNetns, 80);
    const page = await nsExec(sandbox.host, 'busybox', ['wget', '-q', '-O', '-', 'http://10.95.0.2/']);
    expect(page.stdout).toContain('hello from a cni-zones test machine');
    await machine.stop();
    expect(existsSync(`/run/systemd/nspawn/propagate/${machine.machine}`)).toBe(false);
  });
});

zone.describe('systemd-nspawn machine in a zone of the networkd sandbox', () => {
  it('gets a DHCP lease from networkd on host0', async () => {
    const networkdSandbox = await startNetworkdSandbox();
    onTestFinished(() => networkdSandbox.stop());
    const script = 'udhcpc -i host0 -n -q -t 20 -T 1 >/dev/null 2>&1; ip -4 -o addr show host0; ip -4 route show default';
    const result = await runNspawn(['/bin/busybox', 'sh', '-c', script], {
      root: await nspawnRoot(),
      nsenter: networkdSandbox.nsenterOptions,
      networkZone: 'czttest',
      ephemeral: true,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/host0\s+inet \d+\.\d+\.\d+\.\d+\/\d+/);
    expect(result.stdout).toMatch(/default via \d+\.\d+\.\d+\.\d+ dev host0/);
  });
});
