// zonectl kube-node-setup: what the DaemonSet of deploy/kubernetes/cni-zones.yaml runs in its
// init container on every node. Reads the node's Node object (its pod subnets and addresses),
// copies this executable with its role links into the node's CNI plugin directory, and writes
// the node's conflist (setup.ts). Only the compiled executable can be put on a node: the Node
// bundles would need node and koffi there.
import { realpathSync } from 'node:fs';
import { DEFAULT_CONF_DIR } from '../../../lib/nspawn/runtime-paths.js';
import { formatAddress, formatSubnet } from '../../../lib/ip/index.js';
import type { ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { CommandError, UsageError } from '../errors.js';
import type { ItemOutcome } from '../install/apply.js';
import { DEFAULT_BIN_DIR, MULTI_CALL, ROLES } from '../install/plan.js';
import { lines } from '../io.js';
import { selfForm } from '../self.js';
import { apiAccess, DEFAULT_CA_FILE, DEFAULT_TOKEN_FILE, getNode } from './api.js';
import { describeZone } from './conflist.js';
import { dnsNameProblem } from '../../../lib/names/index.js';
import { readSettings } from './settings.js';
import { installOnNode, nodePaths, type SetupReport, waitForPodSubnets } from './setup.js';

const NAME = 'kube-node-setup';
const DEFAULT_WAIT_SECONDS = 60;
const MAX_WAIT_SECONDS = 3600;

function usage(message: string): UsageError {
  return new UsageError(message, `see "zonectl ${NAME} --help"`);
}

function nodeName(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  const name = args.string('node') ?? env.NODE_NAME;
  if (name === undefined || name === '') throw usage('which node? give --node NAME or set NODE_NAME');
  const problem = dnsNameProblem(name);
  if (problem) throw usage(`invalid node name ${JSON.stringify(name)}: ${problem}`);
  return name;
}

function waitSeconds(args: ParsedArgs): number {
  const text = args.string('wait');
  if (text === undefined) return DEFAULT_WAIT_SECONDS;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > MAX_WAIT_SECONDS)
    throw usage(`--wait ${JSON.stringify(text)}: expected seconds, more than 0 and at most ${MAX_WAIT_SECONDS}`);
  return seconds;
}

function compiledExecutable(): string {
  const form = selfForm();
  if (form.kind !== 'compiled')
    throw new CommandError(
      `${NAME} puts the compiled executable on the node, and this zonectl is a Node bundle`,
      'run it from the image (deploy/kubernetes/Containerfile), or as dist/native/cni-zones zonectl',
    );
  // The real file: the copy must be the executable, not a link to where it happens to be.
  return realpathSync(form.executable);
}

function describeBinaries(binDir: string, outcomes: readonly ItemOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.action, (counts.get(o.action) ?? 0) + 1);
  const summary = [...counts].map(([action, n]) => `${n} ${action}`).join(', ');
  return `${binDir}: ${MULTI_CALL} and its links ${ROLES.join(', ')} (${summary})`;
}

function renderSetup(report: SetupReport, zone: string): string {
  const { facts } = report;
  const ips = facts.internalIps.map(formatAddress).join(', ') || 'none';
  return lines(
    `node ${facts.name}: pod subnets ${facts.podSubnets.map((s) => formatSubnet(s)).join(', ')}; InternalIP ${ips}`,
    describeBinaries(report.binDir, report.binaries),
    `${report.conflist}: ${report.conflistWritten ? 'written' : 'unchanged'} (${zone})`,
  );
}

export const kubeNodeSetupCommand: Command = {
  spec: {
    name: NAME,
    summary: "Set up a Kubernetes node: the plugins and the node's conflist (the DaemonSet's init container).",
    description:
      'Reads the Node NAME from the API server until it has a pod subnet (spec.podCIDR, spec.podCIDRs;\n' +
      'at most --wait seconds), copies this compiled executable and its role links into BIN-DIR and\n' +
      `writes CONF-DIR/10-cni-zones.conflist: one zone per node whose subnet is the pod subnet, or,\n` +
      "with multiHost in the settings, one zone across the nodes over VXLAN. Paths are the node's,\n" +
      'seen under --host-root. Everything read is checked before anything is written; files are\n' +
      'written beside their target and renamed over it. See docs/kubernetes.md.',
    positionals: [],
    options: [
      { name: 'node', kind: 'string', value: 'NAME', description: 'the Node to read', defaultText: '$NODE_NAME' },
      { name: 'host-root', kind: 'string', value: 'DIR', description: "where the node's root is mounted", defaultText: '/' },
      {
        name: 'config',
        kind: 'string',
        value: 'FILE',
        description: 'the settings, JSON (zone, nameServer, multiHost, ...; docs/kubernetes.md); without it the defaults',
      },
      {
        name: 'api-server',
        kind: 'string',
        value: 'URL',
        description: 'the API server',
        defaultText: 'https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT',
      },
      { name: 'token-file', kind: 'string', value: 'FILE', description: 'bearer token', defaultText: DEFAULT_TOKEN_FILE },
      {
        name: 'ca-file',
        kind: 'string',
        value: 'FILE',
        description: "the CA of the API server's certificate",
        defaultText: DEFAULT_CA_FILE,
      },
      { name: 'bin-dir', kind: 'string', value: 'DIR', description: "the node's CNI plugin directory", defaultText: DEFAULT_BIN_DIR },
      {
        name: 'conf-dir',
        kind: 'string',
        value: 'DIR',
        description: "the node's CNI configuration directory",
        defaultText: DEFAULT_CONF_DIR,
      },
      {
        name: 'wait',
        kind: 'string',
        value: 'SECONDS',
        description: 'how long to wait for a pod subnet',
        defaultText: String(DEFAULT_WAIT_SECONDS),
      },
    ],
    examples: [`zonectl ${NAME} --node "$NODE_NAME" --host-root /host --config /etc/cni-zones/config.json`],
  },
  async run(args, io) {
    const name = nodeName(args, process.env);
    const waitMs = waitSeconds(args) * 1000;
    const paths = nodePaths({
      hostRoot: args.string('host-root') ?? '/',
      binDir: args.string('bin-dir') ?? DEFAULT_BIN_DIR,
      confDir: args.string('conf-dir') ?? DEFAULT_CONF_DIR,
    });
    const settings = readSettings(args.string('config'));
    const executable = compiledExecutable();
    const access = apiAccess({
      apiServer: args.string('api-server'),
      tokenFile: args.string('token-file'),
      caFile: args.string('ca-file'),
    });
    const facts = await waitForPodSubnets((timeoutMs) => getNode(access, name, timeoutMs), name, waitMs);
    const report = await installOnNode(paths, executable, settings, facts);
    io.out(renderSetup(report, describeZone(settings, facts)));
    return 0;
  },
};
