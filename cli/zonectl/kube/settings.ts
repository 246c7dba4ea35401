// The settings `zonectl kube-node-setup` reads from the DaemonSet's ConfigMap (one JSON file,
// `--config`): which network and zone the nodes' conflist names, whether the zone runs its
// name server, and, for a zone that spans the nodes, the cluster's subnets and the VXLAN.
// Every field is optional; a field we do not know is refused, so a typo in the ConfigMap
// stops the node's setup instead of being silently ignored. Names follow lib/names, addresses
// and subnets lib/ip, before anything is written.
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { describeIssues } from '../../../lib/cni/schema.js';
import { type Address, familyOf, parseAddress, parseCidr, type Subnet, subnetOf } from '../../../lib/ip/index.js';
import { zoneNameProblem, zoneNetworkNameProblem } from '../../../lib/names/index.js';
import { CommandError } from '../errors.js';

const DEFAULT_KUBE_NETWORK = 'k8s-pods';

export interface VxlanSettings {
  vni: number;
  /** Absent: the zone plugin's default port. */
  port?: number;
  /** Every node of the zone; a node leaves itself out of its own list. */
  peers: Address[];
}

export interface MultiHostSettings {
  /** The cluster's pod subnets, at most one per family: each node's podCIDR lies inside one. */
  clusterSubnets: Subnet[];
  vxlan: VxlanSettings;
}

export interface KubeSettings {
  network: string;
  zone: string;
  backend: 'auto' | 'networkd' | 'netlink';
  ipMasq: boolean;
  nameServer: boolean;
  multiHost?: MultiHostSettings;
}

const MAX_VNI = 0xffffff;

/** The schema of config.json (test/docs/kubernetes-manifest.test.ts holds docs/kubernetes.md to it). */
export function settingsSchema() {
  const port = z.number().check(z.int(), z.minimum(1), z.maximum(65535));
  return z.strictObject({
    network: z.optional(z.string()),
    zone: z.optional(z.string()),
    backend: z.optional(z.enum(['auto', 'networkd', 'netlink'])),
    ipMasq: z.optional(z.boolean()),
    nameServer: z.optional(z.boolean()),
    multiHost: z.optional(
      z.strictObject({
        clusterSubnets: z.array(z.string()).check(z.minLength(1), z.maxLength(2)),
        vxlan: z.strictObject({
          vni: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_VNI)),
          port: z.optional(port),
          peers: z.array(z.string()),
        }),
      }),
    ),
  });
}

function invalid(what: string, details = ''): CommandError {
  return new CommandError(
    `invalid settings: ${what}`,
    'correct config.json in the ConfigMap cni-zones-config, then restart the pods',
    details,
  );
}

/** A subnet written as its network address, e.g. 10.244.0.0/16 (not 10.244.1.0/16). */
export function parseSubnet(text: string): Subnet | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return undefined;
  const subnet = subnetOf(cidr);
  return subnet.network.value === cidr.address.value ? subnet : undefined;
}

function clusterSubnets(texts: readonly string[]): Subnet[] {
  const subnets = texts.map((text, i) => {
    const subnet = parseSubnet(text);
    if (!subnet) throw invalid(`multiHost.clusterSubnets[${i}] ${JSON.stringify(text)} is not a subnet written as its network address`);
    return subnet;
  });
  if (subnets.length === 2 && subnets[0]!.network.family === subnets[1]!.network.family)
    throw invalid('multiHost.clusterSubnets holds two subnets of one family; give one IPv4 and/or one IPv6 subnet');
  return subnets;
}

function peers(texts: readonly string[]): Address[] {
  const addresses = texts.map((text, i) => {
    const address = parseAddress(text);
    if (!address) throw invalid(`multiHost.vxlan.peers[${i}] ${JSON.stringify(text)} is not an IP address`);
    return address;
  });
  if (new Set(texts.map(familyOf)).size > 1) throw invalid('multiHost.vxlan.peers mixes IPv4 and IPv6: the VXLAN runs over one family');
  return addresses;
}

/** The settings in `value` (the parsed config.json), checked whole. */
export function parseSettings(value: unknown): KubeSettings {
  const parsed = settingsSchema().safeParse(value);
  if (!parsed.success) throw invalid('config.json does not match its schema', describeIssues(parsed.error));
  const raw = parsed.data;
  const network = raw.network ?? DEFAULT_KUBE_NETWORK;
  const networkProblem = zoneNetworkNameProblem(network);
  if (networkProblem) throw invalid(`network ${JSON.stringify(network)}: ${networkProblem}`);
  const zone = raw.zone ?? network;
  const zoneProblem = zoneNameProblem(zone);
  if (zoneProblem) throw invalid(`zone ${JSON.stringify(zone)}: ${zoneProblem}`);
  const settings: KubeSettings = {
    network,
    zone,
    backend: raw.backend ?? 'auto',
    ipMasq: raw.ipMasq ?? true,
    nameServer: raw.nameServer ?? false,
  };
  if (raw.multiHost) {
    const { vxlan } = raw.multiHost;
    settings.multiHost = {
      clusterSubnets: clusterSubnets(raw.multiHost.clusterSubnets),
      vxlan: { vni: vxlan.vni, ...(vxlan.port !== undefined && { port: vxlan.port }), peers: peers(vxlan.peers) },
    };
  }
  return settings;
}

/** The settings file, or the defaults when there is none. */
export function readSettings(path: string | undefined): KubeSettings {
  if (path === undefined) return parseSettings({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CommandError(
      `cannot read the settings ${path}: ${(e as Error).message}`,
      'mount the ConfigMap cni-zones-config there, or drop --config',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(`${path} is not JSON`, (e as Error).message);
  }
  return parseSettings(value);
}
