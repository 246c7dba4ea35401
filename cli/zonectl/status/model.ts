// What `zonectl status` reports, as data: printed as tables or as JSON (--json), so the
// two views never disagree. Every field is a fact read from the host at that moment.
import type { PortMapping } from '../../../lib/ports/mappings.js';
import type { VxlanPortNow } from '../repair/vxlan-drift.js';
import type { InstallationView } from './installation.js';

export interface Verdict {
  ok: boolean;
  /** Why not, when not ok; "skipped: ..." notes when not run. */
  error?: string;
  /** The CNI error code, when not ok. */
  code?: number;
  skipped?: string;
}

export interface AttachmentView {
  containerId: string;
  ifname: string;
  netns: string;
  netnsPresent: boolean;
  /** CIDR notation, from the cached ADD result. */
  addresses: string[];
  mac?: string;
  /** The host end on the zone's bridge. */
  hostVeth: string;
  ports: PortMapping[];
  check: Verdict;
  /** Its names in the zone's name server (`web.demo.internal`), from the zone's names store. */
  names: string[];
  /** What its port record says was published and the host lacks now (`tcp/8080 (IPv4) missing`); fixed by `zonectl repair`. */
  drift?: string[];
}

export interface BridgeView {
  name: string;
  present: boolean;
  up?: boolean;
  mac?: string;
  addresses: string[];
  /** Every port of the bridge. */
  ports: string[];
  /** Ports that are none of the cached attachments (nspawn --network-zone machines, other runtimes). */
  otherPorts: string[];
}

export interface NetworkdLinkView {
  adminState: string;
  operState: string;
  networkFile?: string;
}

export interface DhcpPoolView {
  first: string;
  last: string;
  size: number;
}

export interface IsolationView {
  /** Whether our table isolates the zone now (it does once a member was added). */
  active: boolean;
  /** The zones its configuration allows, both ways. */
  allowZones: string[];
  /** The other zones whose configuration allows this one (as our table holds it). */
  allowedBy: string[];
}

export interface NameServerView {
  /** false when the configuration turns it off (`nameServer: false`); nothing else is then told. */
  enabled: boolean;
  /** The names' suffix, `<zone>.<domain>`. */
  domain?: string;
  /** Where the names store and the server's record are (`nameServer.stateDir`). */
  stateDir?: string;
  /** Whether the zone's server runs now (it runs while the zone has members). */
  running?: boolean;
  /** Names of the store that none of the cached attachments holds (machines, other runtimes). */
  otherNames?: string[];
  /** Why the names store could not be read. */
  problem?: string;
}

/** An nspawn machine on the zone's bridge (`--network-zone`), found as the zone's name server finds it (lib/dns/machines.ts). */
export interface MachineView {
  machine: string;
  /** Its name at the zone's name server (`db.web.internal`); absent when its name is no DNS label or the server is off. */
  name?: string;
  /** The bridge port, the host end of its veth (`vb-db`). */
  port: string;
  /** The addresses it has in the zone's subnets. */
  addresses: string[];
}

/** A peer host of a multi-host zone (`vxlan.peers`). */
export interface VxlanPeerView {
  /** Its underlay address. */
  address: string;
  /** Whether the VXLAN port has its flood entry (copies broadcasts to it). */
  flooded: boolean;
  /** Whether it answered one ICMP echo from `vxlan.local` within a second (status/peers.ts). */
  answers: boolean;
  /** Round trip in milliseconds, when it answered. */
  rttMs?: number;
  /** What ping said when it got no answer for a reason, or why it could not ping. */
  reason?: string;
}

/** A multi-host zone's VXLAN side on this host. */
export interface VxlanView {
  /** As configured: `vxlan.vni`, `vxlan.local`, `vxlan.port`. */
  vni: number;
  local: string;
  port: number;
  /** The port `vx-<zone>` as the kernel has it. */
  device: VxlanPortNow;
  /** Each configured peer, in the configuration's order. */
  peers: VxlanPeerView[];
  /** Flood entries that name no configured peer (a peer taken out of the configuration). */
  strayFloods: string[];
  /** Whether our `bridge cni_zones` table keeps DHCPv4 and router discovery off the VXLAN ports; what it lacks when not. */
  keptLocal: { inPlace: boolean; problems: string[] };
}

export interface ZoneView {
  zone: string;
  network: string;
  /** The conflist file. */
  source: string;
  backend: { configured: string; active?: 'networkd' | 'netlink'; problem?: string };
  bridge: BridgeView;
  /** networkd's view of the bridge, when networkd runs. */
  networkd?: NetworkdLinkView;
  subnets: string[];
  dhcpPool?: DhcpPoolView;
  /** The network's CNI STATUS. */
  plugins: Verdict;
  attachments: AttachmentView[];
  /** The nspawn machines on the bridge; absent when they could not be looked for. */
  machines?: MachineView[];
  /** The zone's name server; absent for a zone whose configuration cannot be read. */
  nameServer?: NameServerView;
  /** What the zone's masquerade (netlink backend) lacks now; fixed by `zonectl repair`. */
  masqueradeDrift?: string[];
  /** Whom the zone allows and who allows it; absent for a zone whose configuration cannot be read. */
  isolation?: IsolationView;
  /** How the zone's isolation differs from its configuration now; fixed by `zonectl repair` or the next ADD. */
  isolationDrift?: string[];
  /** A multi-host zone's VXLAN port, its peers and whether each answers; absent for a zone on this host alone. */
  vxlan?: VxlanView;
  /** How the VXLAN port and the bridge table differ from the configuration, once the zone's bridge is here; fixed by `zonectl repair`. */
  vxlanDrift?: string[];
  problems: string[];
  healthy: boolean;
}

export interface StatusReport {
  /** Which zonectl reports, and where it was installed from (installation.ts). */
  installation?: InstallationView;
  confDir: string;
  cacheDir: string;
  networkd: { presence: string; reason: string };
  zones: ZoneView[];
  /** Configuration files that could not be read. */
  unreadable: { file: string; error: string }[];
  healthy: boolean;
}
