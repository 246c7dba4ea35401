// `zonectl kube-node-setup`, the compiled executable run as the DaemonSet's init container
// runs it: NODE_NAME and KUBERNETES_SERVICE_HOST/_PORT in the environment, the service
// account's token and ca.crt at their default path (a private mount namespace puts them
// there), the node's directories under a host root. Its API server is a small HTTPS server
// (kube-api-server.mjs) on 127.0.0.1 of a test namespace, with a certificate signed by a CA
// made here with openssl, which checks the bearer token and answers Node objects from files.
// Checked: the executable and its role links land in the node's plugin directory and run;
// the conflist has the example's shape and the zone plugin installed there takes a pod through
// ADD (with a hostPort), CHECK, STATUS and DEL with its namespace gone, as the runtimes call
// them (state directories and backend redirected to the test's, as everywhere in e2e); the
// multi-host variant; a Node without a pod subnet fails in bounded time saying so and writes
// nothing; symlinks planted at the targets are replaced, not followed; a wrong token or CA
// fails at once. No kubelet, containerd or CRI-O takes part: none runs on these machines.

import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleCopies } from '../support/bundles.js';
import { createSandbox, nsExec, nsenterArgs, removeNetns, type Sandbox } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'unshare', 'mount', 'openssl']);
const bundles = bundleCopies('kube', ['zonectl', 'zone']);
afterAll(() => bundles.remove());

const TOKEN = 'czt-token-0123456789abcdef';
const ROLES = ['zone', 'zone-ipam', 'zone-ports', 'zonectl'];
const SERVICE_ACCOUNT = '/run/secrets/kubernetes.io/serviceaccount';
// The init container's view: the pod's /run is its own, and /var/run is a link to it.
const MOUNT_SECRETS = `mount -t tmpfs tmpfs /run && mkdir -p ${SERVICE_ACCOUNT} && cp "$CZT_TOKEN" ${SERVICE_ACCOUNT}/token && cp "$CZT_CA" ${SERVICE_ACCOUNT}/ca.crt && exec "$@"`;

let sandbox: Sandbox;
let dir: string;
let zonectl: string;
let port: number;
const pki = { ca: '', otherCa: '' };

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir });
}

/** A CA, a server certificate for 127.0.0.1 signed by it, and a second CA that signed nothing. */
async function makePki(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=czt-kubernetes-ca']);
  await openssl(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=czt-other-ca']);
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  ]);
  pki.ca = join(dir, 'ca.crt');
  pki.otherCa = join(dir, 'other.crt');
}

/** The server's port, from the line it prints once it listens (bounded). */
async function startApiServer(): Promise<number> {
  const config = join(dir, 'server.json');
  mkdirSync(join(dir, 'nodes'));
  writeFileSync(
    config,
    JSON.stringify({
      cert: join(dir, 'server.crt'),
      key: join(dir, 'server.key'),
      token: TOKEN,
      nodesDir: join(dir, 'nodes'),
      log: join(dir, 'requests.log'),
    }),
  );
  const server = sandbox.spawn(sandbox.host, process.execPath, [join(import.meta.dirname, 'kube-api-server.mjs'), config]);
  const first = new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    setTimeout(() => reject(new Error('the test API server did not start within 15 s')), 15_000).unref();
  });
  return (JSON.parse(await first) as { port: number }).port;
}

interface Requested {
  method: string;
  url: string;
  authorization: string | null;
}

function requestsFor(node: string): Requested[] {
  const log = join(dir, 'requests.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Requested)
    .filter((r) => r.url === `/api/v1/nodes/${node}`);
}

function serveNode(name: string, spec: object, addresses: object[] = [{ type: 'InternalIP', address: '192.0.2.7' }]): void {
  const node = {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name, uid: 'czt' },
    spec,
    status: { addresses: [...addresses, { type: 'Hostname', address: name }] },
  };
  writeFileSync(join(dir, 'nodes', `${name}.json`), JSON.stringify(node));
}

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A host root of its own, empty. */
function hostRoot(label: string): string {
  const root = join(dir, `root-${label}`);
  mkdirSync(root);
  return root;
}

/** zonectl kube-node-setup as the init container runs it, in the test's namespace. */
async function nodeSetup(
  node: string,
  root: string,
  options: { settings?: object; args?: string[]; token?: string; ca?: string } = {},
): Promise<Run> {
  const args = ['kube-node-setup', '--node', node, '--host-root', root];
  if (options.settings) {
    const file = join(dir, `settings-${node}.json`);
    writeFileSync(file, JSON.stringify(options.settings));
    args.push('--config', file);
  }
  const token = join(dir, `token-${node}`);
  writeFileSync(token, `${options.token ?? TOKEN}\n`);
  const started = Date.now();
  const run = await execa(
    'nsenter',
    [...nsenterArgs(sandbox.host), 'unshare', '--mount', 'sh', '-c', MOUNT_SECRETS, 'sh', zonectl, ...args, ...(options.args ?? [])],
    {
      env: {
        NODE_NAME: node,
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(port),
        CZT_TOKEN: token,
        CZT_CA: options.ca ?? pki.ca,
      },
      reject: false,
      timeout: 60_000,
    },
  );
  return { exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr), ms: Date.now() - started };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface ZonePlugin {
  type: string;
  zone: string;
  vxlan?: object;
  ipam: { type: string; ranges: object[][]; routes: object[]; dataDir?: string };
  capabilities: Record<string, boolean>;
  [key: string]: unknown;
}

interface ConfList {
  cniVersion: string;
  cniVersions: string[];
  name: string;
  plugins: ZonePlugin[];
}

function readConfList(root: string): ConfList {
  return JSON.parse(readFileSync(join(root, 'etc/cni/net.d/10-cni-zones.conflist'), 'utf8')) as ConfList;
}

interface AddResult {
  ips: { address: string; gateway: string }[];
  /** The node's nft ruleset while the pod was there. */
  ruleset: string;
}

/**
 * A pod's life with the conflist's plugin, as a runtime hands it over (name and cniVersion of
 * the list): ADD, CHECK, STATUS, then DEL after its namespace is gone. Run from the node's
 * plugin directory in a namespace standing for the node; the machine's state directories and
 * networkd stay out of it. Returns the ADD result and the node's ruleset while the pod was there.
 */
async function addAndDelete(root: string, conflist: ConfList, plugin: ZonePlugin, runtimeConfig?: object): Promise<AddResult> {
  const state = makeTestTempDir('kube-state');
  // A node of its own: the zones of two tests (10.244.7.0/24, 10.244.0.0/16) overlap.
  const node = await sandbox.container('node');
  const container = await sandbox.container('pod');
  const conf = {
    ...plugin,
    cniVersion: '1.1.0',
    name: conflist.name,
    backend: 'netlink',
    portsStateDir: join(state, 'ports'),
    // The name server's state in the test's directory too, never the machine's /run/cni-zones.
    ...(plugin.nameServer !== false && { nameServer: { ...(plugin.nameServer as object | undefined), stateDir: join(state, 'dns') } }),
    ipam: { ...plugin.ipam, dataDir: join(state, 'ipam') },
    ...(runtimeConfig && { runtimeConfig }),
  };
  const bin = join(root, 'opt/cni/bin');
  const call = {
    containerId: 'czt-kube-pod',
    ifname: 'eth0',
    netns: container.path,
    path: bin,
    stdin: conf,
    inNamespace: node,
    timeoutMs: 50_000,
  };
  try {
    const add = await runPlugin(join(bin, 'zone'), {
      ...call,
      command: 'ADD',
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web' },
    });
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    // CRI-O checks right after ADD, with the ADD's result (from libcni's cache) as prevResult.
    const check = await runPlugin(join(bin, 'zone'), { ...call, command: 'CHECK', stdin: { ...conf, prevResult: add.json } });
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    // containerd 2 and CRI-O ask STATUS of the network, with no attachment.
    const status = await runPlugin(join(bin, 'zone'), { command: 'STATUS', path: bin, stdin: conf, inNamespace: node });
    expect(status.exitCode, status.stdout + status.stderr).toBe(0);
    const ruleset = (await nsExec(node, 'nft', ['list', 'ruleset'])).stdout;
    // The pod's namespace is gone before its DEL (a killed sandbox, a reboot): containerd then
    // passes an empty CNI_NETNS.
    await removeNetns(container);
    const del = await runPlugin(join(bin, 'zone'), { ...call, netns: '', command: 'DEL' });
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect(readdirSync(join(state, 'ipam', conflist.name)).filter((f) => !f.startsWith('last_reserved_ip') && f !== 'lock')).toEqual([]);
    return { ...(add.json as AddResult), ruleset };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

suite.describe('zonectl kube-node-setup', () => {
  beforeAll(async () => {
    zonectl = join(await bundles.dir(), 'zonectl');
    dir = makeTestTempDir('kube');
    await makePki();
    sandbox = await createSandbox();
    port = await startApiServer();
  }, 240_000);
  afterAll(async () => {
    await sandbox?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('one zone per node: installs the executable and its links, and a conflist the installed zone plugin ADDs with', async () => {
    const node = 'czt-node-a.example';
    serveNode(node, { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24', 'fd00:10:244:7::/64'] });
    const root = hostRoot('a');
    const run = await nodeSetup(node, root);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`node ${node}: pod subnets 10.244.7.0/24, fd00:10:244:7::/64; InternalIP 192.0.2.7`);

    // The token went to the API server, and only through the one request needed.
    expect(requestsFor(node)).toEqual([{ method: 'GET', url: `/api/v1/nodes/${node}`, authorization: `Bearer ${TOKEN}` }]);

    const bin = join(root, 'opt/cni/bin');
    const executable = join(bin, 'cni-zones');
    expect(lstatSync(executable).isFile()).toBe(true);
    expect(statSync(executable).mode & 0o777).toBe(0o755);
    expect(sha256(executable)).toBe(sha256(join(await bundles.dir(), 'cni-zones')));
    for (const role of ROLES) expect(readlinkSync(join(bin, role))).toBe('cni-zones');
    expect(readdirSync(bin).sort()).toEqual(['cni-zones', ...ROLES].sort());
    for (const plugin of ['zone', 'zone-ipam', 'zone-ports']) {
      const version = await runPlugin(join(bin, plugin), { command: 'VERSION', stdin: { cniVersion: '1.0.0' } });
      expect(version.exitCode, version.stderr).toBe(0);
      expect(version.json).toMatchObject({ supportedVersions: expect.arrayContaining(['1.0.0', '1.1.0']) });
    }

    const file = join(root, 'etc/cni/net.d/10-cni-zones.conflist');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(join(root, 'etc/cni/net.d'))).toEqual(['10-cni-zones.conflist']);
    const conflist = readConfList(root);
    expect(conflist).toMatchObject({ cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'], name: 'k8s-pods' });
    expect(conflist.plugins).toHaveLength(1);
    const [plugin] = conflist.plugins as [ZonePlugin];
    expect(plugin).toMatchObject({
      type: 'zone',
      zone: 'k8s-pods',
      ipMasq: true,
      nameServer: false,
      localhost: 'ipv4',
      capabilities: { portMappings: true },
    });
    expect(plugin.vxlan).toBeUndefined();
    expect(plugin.ipam).toEqual({
      type: 'zone-ipam',
      ranges: [[{ subnet: '10.244.7.0/24', gateway: '10.244.7.1' }], [{ subnet: 'fd00:10:244:7::/64', gateway: 'fd00:10:244:7::1' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
    });

    // A hostPort as containerd passes it: published with nft alone (127.0.0.1 too, [::1] not).
    const result = await addAndDelete(root, conflist, plugin, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    expect(result.ips).toEqual([
      expect.objectContaining({ address: expect.stringMatching(/^10\.244\.7\.\d+\/24$/), gateway: '10.244.7.1' }),
      expect.objectContaining({ address: expect.stringMatching(/^fd00:10:244:7::[0-9a-f]+\/64$/), gateway: 'fd00:10:244:7::1' }),
    ]);
    expect(result.ruleset).toMatch(/8080/);

    // The pod restarted (or the DaemonSet rolled out the same image): nothing changes.
    const again = await nodeSetup(node, root);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('(5 unchanged)');
    expect(again.stdout).toContain('10-cni-zones.conflist: unchanged');
  }, 120_000);

  it('a zone across nodes: the cluster subnet, this node its range and gateway, a VXLAN to the other nodes', async () => {
    const node = 'czt-node-c';
    serveNode(node, { podCIDR: '10.244.3.0/24' }, [{ type: 'InternalIP', address: '192.0.2.13' }]);
    const root = hostRoot('c');
    const settings = {
      zone: 'pods',
      multiHost: { clusterSubnets: ['10.244.0.0/16'], vxlan: { vni: 4242, peers: ['192.0.2.11', '192.0.2.12', '192.0.2.13'] } },
    };
    const run = await nodeSetup(node, root, { settings });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('zone pods across nodes (10.244.0.0/16, VXLAN 4242)');
    const conflist = readConfList(root);
    const [plugin] = conflist.plugins as [ZonePlugin];
    expect(plugin.zone).toBe('pods');
    // The node leaves itself out of its peers; no port: the plugin's default.
    expect(plugin.vxlan).toEqual({ vni: 4242, local: '192.0.2.13', peers: ['192.0.2.11', '192.0.2.12'] });
    expect(plugin.ipam.ranges).toEqual([
      [{ subnet: '10.244.0.0/16', rangeStart: '10.244.3.2', rangeEnd: '10.244.3.255', gateway: '10.244.3.1' }],
    ]);

    // The zone-ipam and zone configuration of this node ADD a pod of the cluster subnet. The
    // VXLAN is left out here: it is the zone plugin's part (issue 14's multi-host zones) and
    // would reach for the documentation addresses above.
    const { vxlan: _vxlan, ...withoutVxlan } = plugin;
    const result = await addAndDelete(root, conflist, withoutVxlan);
    expect(result.ips).toEqual([
      expect.objectContaining({ address: expect.stringMatching(/^10\.244\.3\.\d+\/16$/), gateway: '10.244.3.1' }),
    ]);
  }, 120_000);

  it('a Node without a pod subnet: fails within --wait, saying why, and writes nothing', async () => {
    const node = 'czt-node-b';
    serveNode(node, {});
    const root = hostRoot('b');
    const run = await nodeSetup(node, root, { args: ['--wait', '3'] });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/the Node czt-node-b has no spec\.podCIDR \(waited 3 s, \d+ requests\)/);
    expect(run.stderr).toContain('--allocate-node-cidrs');
    expect(run.ms).toBeLessThan(3000 + 5000);
    expect(requestsFor(node).length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  it('symlinks planted at the targets are replaced, never followed', async () => {
    const node = 'czt-node-d';
    serveNode(node, { podCIDR: '10.244.4.0/24' });
    const root = hostRoot('d');
    const victims = join(dir, 'victims');
    mkdirSync(victims, { recursive: true });
    writeFileSync(join(victims, 'binary'), 'not to be overwritten\n');
    writeFileSync(join(victims, 'conflist'), 'not to be overwritten either\n');
    mkdirSync(join(root, 'opt/cni/bin'), { recursive: true });
    mkdirSync(join(root, 'etc/cni/net.d'), { recursive: true });
    symlinkSync(join(victims, 'binary'), join(root, 'opt/cni/bin/cni-zones'));
    symlinkSync(join(victims, 'binary'), join(root, 'opt/cni/bin/zone'));
    symlinkSync(join(victims, 'conflist'), join(root, 'etc/cni/net.d/10-cni-zones.conflist'));

    const run = await nodeSetup(node, root);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(join(victims, 'binary'), 'utf8')).toBe('not to be overwritten\n');
    expect(readFileSync(join(victims, 'conflist'), 'utf8')).toBe('not to be overwritten either\n');
    expect(lstatSync(join(root, 'opt/cni/bin/cni-zones')).isFile()).toBe(true);
    expect(readlinkSync(join(root, 'opt/cni/bin/zone'))).toBe('cni-zones');
    expect(lstatSync(join(root, 'etc/cni/net.d/10-cni-zones.conflist')).isFile()).toBe(true);
    expect(readConfList(root).plugins[0]?.ipam.ranges).toEqual([[{ subnet: '10.244.4.0/24', gateway: '10.244.4.1' }]]);
  }, 60_000);

  it('a token the API server refuses, or a CA that did not sign its certificate, fails at once and writes nothing', async () => {
    const node = 'czt-node-e';
    serveNode(node, { podCIDR: '10.244.5.0/24' });
    const root = hostRoot('e');
    const refused = await nodeSetup(node, root, { token: 'not-the-token' });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('the API server did not accept the token (401)');
    expect(requestsFor(node)).toEqual([{ method: 'GET', url: `/api/v1/nodes/${node}`, authorization: 'Bearer not-the-token' }]);

    const untrusted = await nodeSetup(node, root, { ca: pki.otherCa });
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stderr).toMatch(/the API server at https:\/\/127\.0\.0\.1:\d+ is not trusted/);
    expect(untrusted.stderr).toContain(`fix: the CA file ${SERVICE_ACCOUNT.replace('/run', '/var/run')}/ca.crt must hold the CA`);
    expect(untrusted.ms).toBeLessThan(10_000);
    // The certificate was refused before anything was sent: the server logged no second request.
    expect(requestsFor(node)).toHaveLength(1);
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);
});
