// The conflist a Kubernetes node gets, in the shape of the example network (example.ts):
// cniVersion 1.0.0 with cniVersions 1.0.0 and 1.1.0 (runtimes on libcni 1.2 and later pick
// 1.1.0, and with it STATUS and GC), one zone plugin with zone-ipam in process and the
// portMappings capability (containerd publishes hostPorts through it; CRI-O publishes them
// itself and passes none). hostPorts answer on 127.0.0.1 but not on [::1] ("localhost":
// "ipv4"): [::1] would take a systemd-socket-proxyd per port, processes outside any pod's
// life, and a hostPort of the reference portmap plugin is not on [::1] either.
//   one zone per node (default): the zone's subnet is the node's podCIDR, one per family,
//     with the first host address as the gateway on the node's bridge;
//   a zone across nodes (settings.multiHost): the zone's subnet is the cluster subnet of the
//     family, the node hands out addresses from its own podCIDR only (rangeStart-rangeEnd) and
//     its gateway is the podCIDR's first host address, so no two nodes share an address or
//     a gateway; the bridge gets a VXLAN port to every other node (local: the node's
//     InternalIP of the peers' family).
// The file is named 10-cni-zones.conflist: containerd and CRI-O take the first file of the
// directory in lexical order as the pod network.
import {
  type Address,
  formatAddress,
  formatSubnet,
  lastAddressOf,
  offset,
  sameAddress,
  type Subnet,
  subnetContains,
} from '../../../lib/ip/index.js';
import { CommandError } from '../errors.js';
import type { NodeFacts } from './node.js';
import type { KubeSettings, MultiHostSettings } from './settings.js';

export const KUBE_CONFLIST_FILE = '10-cni-zones.conflist';

interface Range {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway: string;
}

const DEFAULT_ROUTE = { 4: '0.0.0.0/0', 6: '::/0' } as const;

function firstHost(subnet: Subnet): Address {
  return offset(subnet.network, 1n);
}

/** One zone on this node: its subnet is the pod subnet. */
function nodeRange(podSubnet: Subnet): Range {
  return { subnet: formatSubnet(podSubnet), gateway: formatAddress(firstHost(podSubnet)) };
}

function clusterSubnetOf(podSubnet: Subnet, multiHost: MultiHostSettings, node: string): Subnet {
  const cluster = multiHost.clusterSubnets.find((c) => subnetContains(c, podSubnet.network) && c.prefix <= podSubnet.prefix);
  if (!cluster)
    throw new CommandError(
      `the Node ${node}'s pod subnet ${formatSubnet(podSubnet)} lies in none of the cluster subnets ${multiHost.clusterSubnets.map((s) => formatSubnet(s)).join(', ')}`,
      'multiHost.clusterSubnets must hold the cluster CIDR the controller manager assigns pod subnets from (--cluster-cidr)',
    );
  return cluster;
}

/**
 * A zone across nodes: the cluster subnet, with this node's pod subnet as the range. The
 * gateway is the pod subnet's first host address (its network address may be the cluster
 * subnet's own), the range starts after it and ends before the cluster's IPv4 broadcast address.
 */
function sharedRange(podSubnet: Subnet, multiHost: MultiHostSettings, node: string): Range {
  const cluster = clusterSubnetOf(podSubnet, multiHost, node);
  const gateway = firstHost(podSubnet);
  let last = lastAddressOf(podSubnet);
  if (podSubnet.network.family === 4 && sameAddress(last, lastAddressOf(cluster))) last = offset(last, -1n);
  return {
    subnet: formatSubnet(cluster),
    rangeStart: formatAddress(offset(gateway, 1n)),
    rangeEnd: formatAddress(last),
    gateway: formatAddress(gateway),
  };
}

function vxlanOf(multiHost: MultiHostSettings, facts: NodeFacts): Record<string, unknown> {
  const { vxlan } = multiHost;
  const family = vxlan.peers[0]?.family ?? facts.internalIps[0]?.family ?? 4;
  const local = facts.internalIps.find((a) => a.family === family);
  if (!local)
    throw new CommandError(
      `the Node ${facts.name} has no IPv${family} InternalIP in status.addresses, which its VXLAN needs as the local address`,
      'the kubelet reports the node addresses; with peers of the other family, list those instead',
    );
  const peers = vxlan.peers.filter((p) => !sameAddress(p, local)).map(formatAddress);
  return { vni: vxlan.vni, local: formatAddress(local), peers, ...(vxlan.port !== undefined && { port: vxlan.port }) };
}

/** The conflist for the node `facts` describes, under `settings`; facts must hold a pod subnet. */
export function kubeConfList(settings: KubeSettings, facts: NodeFacts): Record<string, unknown> {
  const { multiHost } = settings;
  const ranges = facts.podSubnets.map((s) => [multiHost ? sharedRange(s, multiHost, facts.name) : nodeRange(s)]);
  const routes = facts.podSubnets.map((s) => ({ dst: DEFAULT_ROUTE[s.network.family] }));
  return {
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: settings.network,
    plugins: [
      {
        type: 'zone',
        zone: settings.zone,
        backend: settings.backend,
        ipMasq: settings.ipMasq,
        hairpin: true,
        nameServer: settings.nameServer ? {} : false,
        ...(multiHost && { vxlan: vxlanOf(multiHost, facts) }),
        localhost: 'ipv4',
        ipam: { type: 'zone-ipam', ranges, routes },
        capabilities: { portMappings: true },
      },
    ],
  };
}

/** One line about the zone, for the report. */
export function describeZone(settings: KubeSettings, facts: NodeFacts): string {
  const pods = facts.podSubnets.map((s) => formatSubnet(s)).join(', ');
  if (!settings.multiHost) return `zone ${settings.zone} on this node only, pods from ${pods}`;
  const clusters = settings.multiHost.clusterSubnets.map((s) => formatSubnet(s)).join(', ');
  return `zone ${settings.zone} across nodes (${clusters}, VXLAN ${settings.multiHost.vxlan.vni}), pods of this node from ${pods}`;
}
