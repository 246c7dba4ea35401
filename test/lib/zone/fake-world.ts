// A stateful stand-in for the machine the zone core works on: namespaces with links,
// addresses and routes that rtnetlink calls change as the kernel would (EEXIST, ENODEV,
// a veth's peer going with it), sysctls, networkd files, our nftables table (the stateful
// nft fake), IPAM allocations and port records. Tests run attach/detach/check/gc against it
// and assert the end state (`snapshot()`) and the order of effects (`log`), without root.
// Any effect can be made to fail with `failOn(pattern)`; an nft transaction is one effect,
// logged as what it does (`nft: add table, add set zone_allow, ...`), and fails as a whole.
import type { Result } from '../../../lib/cni/types.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { NftTable } from '../../../lib/nft/table.js';
import { TABLE_NAME } from '../../../lib/nft/our-table.js';
import type { NetnsHandle } from '../../../lib/netns/open.js';
import { refused } from '../../../lib/rtnl/errors.js';
import type { Link, LinkRef } from '../../../lib/rtnl/links.js';
import type { Address } from '../../../lib/rtnl/addresses.js';
import type { Route } from '../../../lib/rtnl/routes.js';
import type { ContainerNamespace, Links, ResolvedBackend, ZoneWorld } from '../../../lib/zone/world.js';

const EEXIST = 17;
const ENODEV = 19;
const EOPNOTSUPP = 95;

interface FakeLink {
  index: number;
  name: string;
  kind: string | undefined;
  mtu: number | undefined;
  mac: string | undefined;
  up: boolean;
  alias?: string;
  master?: number;
  hairpin?: boolean;
  /** The other end of a veth: namespace and index. */
  peer?: { ns: string; index: number };
  addresses: string[];
  /** A VXLAN device's identity and flood entries. */
  vxlan?: { vni: number; local: string; port: number; floods: string[] };
}

interface FakeNamespace {
  links: Map<number, FakeLink>;
  routes: { dst: string; gw?: string; dev: number }[];
  sysctls: Map<string, string>;
}

export interface FakeWorldOptions {
  backend?: ResolvedBackend;
  /** Addresses zone-ipam would hand out, in order, per family. */
  v4?: string[];
  v6?: string[];
}

export class FakeWorld {
  readonly namespaces = new Map<string, FakeNamespace>();
  /** Every effect, in order: `host: create veth vz…`, `ipam: add c1/eth0`, ... */
  readonly log: string[] = [];
  readonly nftExecutor = new FakeNft();
  readonly files = new Map<string, string>();
  readonly allocations = new Map<string, string[]>();
  readonly portRecords = new Set<string>();
  /** The names store: `<zone> <containerId>/<ifname>` → `name,name → address address`. */
  readonly names = new Map<string, string>();
  /** Zones whose name server runs, with the addresses it listens on. */
  readonly dnsServers = new Map<string, string>();
  /**
   * What systemd-resolved was told, by link index: `<servers> ~<domain>`. Not an effect in `log`
   * (an ADD never fails for it); `resolvedFailure` makes telling it fail.
   */
  readonly resolvedLinks = new Map<number, string>();
  resolvedFailure: Error | undefined;
  #nextIndex = 2;
  #failures: RegExp[] = [];
  #v4: string[];
  #v6: string[];
  readonly backendKind: ResolvedBackend;

  constructor(options: FakeWorldOptions = {}) {
    this.backendKind = options.backend ?? 'netlink';
    this.#v4 = options.v4 ?? ['10.89.0.2/24', '10.89.0.3/24', '10.89.0.4/24'];
    this.#v6 = options.v6 ?? [];
    this.namespace('host').sysctls.set('net.ipv4.ip_forward', '0');
    this.namespace('host').sysctls.set('net.ipv6.conf.all.forwarding', '0');
    // Transactions are effects; listings are reads, as rtnetlink dumps are.
    this.nftExecutor.onRun(async (call) => {
      if (!call.args.includes('-f')) return undefined;
      try {
        await this.effect(`nft: ${nftOperations(call.stdin)}`);
        return undefined;
      } catch (e) {
        return e as Error;
      }
    });
  }

  /** Make every later effect whose log line matches `pattern` fail. */
  failOn(pattern: RegExp): this {
    this.#failures.push(pattern);
    return this;
  }

  namespace(name: string): FakeNamespace {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = { links: new Map(), routes: [], sysctls: new Map() };
      ns.links.set(1, { index: 1, name: 'lo', kind: undefined, mtu: 65536, mac: undefined, up: false, addresses: [] });
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  /** Everything in every namespace, one sorted line per fact: what tests compare. */
  snapshot(): string[] {
    const lines: string[] = [];
    for (const [name, ns] of this.namespaces) {
      for (const link of ns.links.values()) {
        // lo comes up with the first container interface and stays so: not a trace of an attachment
        if (link.name === 'lo') continue;
        const master = link.master === undefined ? '' : ` master ${ns.links.get(link.master)?.name}`;
        lines.push(`${name}: link ${link.name} ${link.kind ?? '-'}${link.up ? ' up' : ''}${master}${link.hairpin ? ' hairpin' : ''}`);
        for (const address of link.addresses) lines.push(`${name}: address ${link.name} ${address}`);
      }
      for (const route of ns.routes)
        lines.push(`${name}: route ${route.dst}${route.gw ? ` via ${route.gw}` : ''} dev ${ns.links.get(route.dev)?.name}`);
      for (const [key, value] of ns.sysctls) if (value !== '0') lines.push(`${name}: sysctl ${key}=${value}`);
    }
    for (const [owner, ips] of this.allocations) lines.push(`ipam: ${owner} ${ips.join(' ')}`);
    for (const record of this.portRecords) lines.push(`ports: ${record}`);
    for (const file of this.files.keys()) lines.push(`networkd: ${file}`);
    for (const [owner, names] of this.names) lines.push(`dns: names ${owner} ${names}`);
    for (const [zone, listen] of this.dnsServers) lines.push(`dns: server ${zone} on ${listen}`);
    return lines.sort();
  }

  /** Our nftables table as the stateful fake holds it. */
  nftDump(): string {
    return this.nftExecutor.dump();
  }

  async effect(line: string): Promise<void> {
    this.log.push(line);
    const failure = this.#failures.find((p) => p.test(line));
    if (failure) throw new Error(`injected failure: ${line}`);
  }

  links(nsName: string): Links {
    return new FakeLinks(this, nsName);
  }

  world(): ZoneWorld {
    return {
      hostLinks: async () => this.links('host'),
      openContainer: (path) => this.#openContainer(path),
      backend: async () => this.backendKind,
      networkd: {
        writeFiles: async (spec, dir) => {
          await this.effect(`networkd: write ${spec.zone}`);
          const name = `${dir}/vz-${spec.zone}.network`;
          const content = JSON.stringify(spec);
          const changed = this.files.get(name) !== content;
          this.files.set(name, content);
          return { changed };
        },
        removeFiles: async (zone, dir) => {
          await this.effect(`networkd: remove ${zone}`);
          return { changed: this.files.delete(`${dir}/vz-${zone}.network`) };
        },
        reload: async () => {
          await this.effect('networkd: reload');
          for (const [name, content] of this.files) {
            const spec = JSON.parse(content) as { zone: string; gateways: string[] };
            const host = this.links('host') as FakeLinks;
            const bridge =
              host.find(`vz-${spec.zone}`) ??
              host.add({ name: `vz-${spec.zone}`, kind: 'bridge', mtu: 1500, mac: '02:00:00:00:00:01', up: true, addresses: [] });
            for (const gateway of spec.gateways) if (!bridge.addresses.includes(gateway)) bridge.addresses.push(gateway);
            void name;
          }
        },
        waitConfigured: async (ifname) => void (await this.effect(`networkd: wait ${ifname}`)),
      },
      withZoneLock: (fn) => fn(),
      machineId: () => '0123456789abcdef0123456789abcdef',
      nft: (family) => new NftTable(TABLE_NAME, this.nftExecutor, family),
      readSysctl: async (key) => this.namespace('host').sysctls.get(key) ?? '0',
      writeSysctl: async (key, value) => {
        await this.effect(`host: sysctl ${key}=${value}`);
        this.namespace('host').sysctls.set(key, String(value));
      },
      ipam: {
        prepareAdd: (req) => async () => {
          const owner = `${req.env.containerId}/${req.env.ifname}`;
          await this.effect(`ipam: add ${owner}`);
          if (this.allocations.has(owner)) throw new Error(`${owner} already holds an address`);
          const ips = [this.#v4.shift(), this.#v6.shift()].filter((ip): ip is string => ip !== undefined);
          this.allocations.set(owner, ips);
          const result: Result = {
            cniVersion: req.conf.cniVersion,
            ips: ips.map((address) => ({ address, gateway: address.includes(':') ? 'fd89::1' : '10.89.0.1' })),
          };
          return result;
        },
        del: async (req) => {
          const owner = `${req.env.containerId}/${req.env.ifname}`;
          await this.effect(`ipam: del ${owner}`);
          this.allocations.delete(owner);
        },
        check: async (req) => {
          if (!this.allocations.has(`${req.env.containerId}/${req.env.ifname}`)) throw new Error('no allocation');
        },
        status: async () => undefined,
        gc: async (req) => {
          await this.effect('ipam: gc');
          const valid = new Set(req.validAttachments?.map((a) => `${a.containerId}/${a.ifname}`));
          if (req.validAttachments) for (const owner of this.allocations.keys()) if (!valid.has(owner)) this.allocations.delete(owner);
        },
      },
      ports: {
        prepare: (req) => req.conf.runtimeConfig?.portMappings !== undefined,
        recorded: (req) => this.portRecords.has(`${req.env.containerId}/${req.env.ifname}`),
        add: async (req) => {
          await this.effect(`ports: add ${req.env.containerId}/${req.env.ifname}`);
          this.portRecords.add(`${req.env.containerId}/${req.env.ifname}`);
        },
        del: async (req) => {
          await this.effect(`ports: del ${req.env.containerId}/${req.env.ifname}`);
          this.portRecords.delete(`${req.env.containerId}/${req.env.ifname}`);
        },
        check: async () => undefined,
        gc: async () => undefined,
      },
      dns: {
        setNames: async (zone, _stateDir, owner, names, addresses) => {
          const key = `${zone} ${owner.containerId}/${owner.ifname}`;
          await this.effect(`dns: names ${key}`);
          this.names.set(key, `${names.join(',')} → ${addresses.join(' ')}`);
        },
        removeNames: async (zone, _stateDir, owner) => {
          const key = `${zone} ${owner.containerId}/${owner.ifname}`;
          if (!this.names.has(key)) return;
          await this.effect(`dns: remove names ${key}`);
          this.names.delete(key);
        },
        pruneNames: async (zone, _stateDir, _network, valid) => {
          const listed = new Set(valid.map((a) => `${zone} ${a.containerId}/${a.ifname}`));
          for (const key of [...this.names.keys()].filter((k) => k.startsWith(`${zone} `) && !listed.has(k))) {
            await this.effect(`dns: prune names ${key}`);
            this.names.delete(key);
          }
        },
        ensureServer: async (server) => {
          if (this.dnsServers.has(server.zone)) return false;
          await this.effect(`dns: start ${server.zone}`);
          this.dnsServers.set(server.zone, server.listen.join(' '));
          return true;
        },
        stopServer: async (zone) => {
          if (!this.dnsServers.has(zone)) return;
          await this.effect(`dns: stop ${zone}`);
          this.dnsServers.delete(zone);
        },
        serverRuns: async (zone) => this.dnsServers.has(zone),
        announceLink: async (ifindex, servers, domain) => {
          if (this.resolvedFailure) throw this.resolvedFailure;
          this.resolvedLinks.set(ifindex, `${servers.join(' ')} ~${domain}`);
          return 'announced';
        },
      },
    };
  }

  #openContainer(path: string): ContainerNamespace {
    if (!path.startsWith('/run/netns/')) throw new Error(`fake world: no namespace at ${path}`);
    const name = path.slice('/run/netns/'.length);
    this.namespace(name);
    return {
      path,
      target: { path, fd: -1, inode: 0, close: () => undefined, name } as unknown as NetnsHandle,
      links: async () => this.links(name),
      writeSysctls: async (values) => {
        for (const [key, value] of values) {
          const text = typeof key === 'string' ? key : key.join('.');
          await this.effect(`${name}: sysctl ${text}=${value}`);
          this.namespace(name).sysctls.set(text, String(value));
        }
      },
      close: () => undefined,
    };
  }

  nextIndex(): number {
    return this.#nextIndex++;
  }
}

/** `add element inet cni_zones zone_allow { ... }` → `add element zone_allow`, once each, in order. */
function nftOperations(input: string): string {
  const heads = input
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^(\w+) (\w+) inet \w+ ?([A-Za-z0-9_]*).*$/, '$1 $2 $3').trim());
  return [...new Set(heads)].join(', ');
}

/** rtnetlink in one fake namespace. */
class FakeLinks implements Links {
  constructor(
    private readonly fake: FakeWorld,
    private readonly nsName: string,
  ) {}

  get ns(): FakeNamespace {
    return this.fake.namespace(this.nsName);
  }

  find(ref: LinkRef): FakeLink | undefined {
    if (typeof ref === 'number') return this.ns.links.get(ref);
    if (typeof ref === 'string') return [...this.ns.links.values()].find((l) => l.name === ref);
    return this.ns.links.get(ref.index);
  }

  #require(ref: LinkRef, operation: string): FakeLink {
    const link = this.find(ref);
    if (!link) throw refused(operation, ENODEV);
    return link;
  }

  add(link: Omit<FakeLink, 'index'>): FakeLink {
    if (this.find(link.name)) throw refused(`create ${link.name}`, EEXIST);
    const made = { ...link, index: this.fake.nextIndex() };
    this.ns.links.set(made.index, made);
    return made;
  }

  #view(link: FakeLink): Link {
    return {
      index: link.index,
      name: link.name,
      kind: link.kind,
      mtu: link.mtu,
      mac: link.mac,
      up: link.up,
      alias: link.alias,
      master: link.master,
      portKind: link.master === undefined ? undefined : 'bridge',
      hairpin: link.hairpin,
      peerNetnsId: undefined,
    };
  }

  async getLink(name: string) {
    const link = this.find(name);
    return link && this.#view(link);
  }

  async getLinkByIndex(index: number) {
    const link = this.find(index);
    return link && this.#view(link);
  }

  async listLinks() {
    return [...this.ns.links.values()].map((l) => this.#view(l));
  }

  async createBridge(name: string, options: { mtu?: number; mac?: string } = {}) {
    await this.fake.effect(`${this.nsName}: create bridge ${name}`);
    return this.#view(this.add({ name, kind: 'bridge', mtu: options.mtu ?? 1500, mac: options.mac, up: false, addresses: [] }));
  }

  async createVeth(options: Parameters<Links['createVeth']>[0]) {
    await this.fake.effect(`${this.nsName}: create veth ${options.name}`);
    const peerNs = typeof options.peerNetns === 'object' ? (options.peerNetns as unknown as { name: string }).name : this.nsName;
    const peerLinks = this.fake.links(peerNs) as FakeLinks;
    if (peerLinks.find(options.peerName)) throw refused(`create veth ${options.name}`, EEXIST);
    const here = this.add({
      name: options.name,
      kind: 'veth',
      mtu: options.mtu ?? 1500,
      mac: '02:00:00:00:00:aa',
      up: false,
      addresses: [],
      ...(options.alias && { alias: options.alias }),
    });
    const there = peerLinks.add({
      name: options.peerName,
      kind: 'veth',
      mtu: options.mtu ?? 1500,
      mac: options.peerMac ?? '02:00:00:00:00:bb',
      up: false,
      addresses: [],
    });
    here.peer = { ns: peerNs, index: there.index };
    there.peer = { ns: this.nsName, index: here.index };
    return this.#view(here);
  }

  async createVxlan(options: Parameters<Links['createVxlan']>[0]) {
    await this.fake.effect(`${this.nsName}: create vxlan ${options.name} ${options.vni} ${options.local}:${options.port}`);
    const { vni, local, port } = options;
    return this.#view(
      this.add({
        name: options.name,
        kind: 'vxlan',
        mtu: options.mtu ?? 1500,
        mac: undefined,
        up: false,
        addresses: [],
        vxlan: { vni, local, port, floods: [] },
      }),
    );
  }

  async vxlanIdentity(name: string) {
    const vxlan = this.find(name)?.vxlan;
    return vxlan && { vni: vxlan.vni, local: vxlan.local, port: vxlan.port };
  }

  #floods(ref: LinkRef, operation: string): string[] {
    const vxlan = this.#require(ref, operation).vxlan;
    if (!vxlan) throw refused(operation, EOPNOTSUPP);
    return vxlan.floods;
  }

  async floodEntries(ref: LinkRef) {
    return [...this.#floods(ref, 'list fdb')];
  }

  async addFloodEntry(ref: LinkRef, peer: string) {
    const floods = this.#floods(ref, 'add fdb flood entry');
    if (floods.includes(peer)) return;
    await this.fake.effect(`${this.nsName}: flood to ${peer}`);
    floods.push(peer);
  }

  async deleteFloodEntry(ref: LinkRef, peer: string) {
    const floods = this.#floods(ref, 'delete fdb flood entry');
    if (!floods.includes(peer)) return;
    await this.fake.effect(`${this.nsName}: no flood to ${peer}`);
    floods.splice(floods.indexOf(peer), 1);
  }

  async setMaster(ref: LinkRef, master: LinkRef | undefined) {
    const link = this.#require(ref, 'set master');
    await this.fake.effect(`${this.nsName}: master ${link.name}`);
    link.master = master === undefined ? undefined : this.#require(master, 'set master').index;
  }

  async setHairpin(ref: LinkRef, on: boolean) {
    this.#require(ref, 'set hairpin').hairpin = on;
  }

  async setUp(ref: LinkRef) {
    const link = this.#require(ref, 'set up');
    await this.fake.effect(`${this.nsName}: up ${link.name}`);
    link.up = true;
  }

  async deleteLinkIfExists(ref: LinkRef) {
    const link = this.find(ref);
    if (!link) return false;
    await this.fake.effect(`${this.nsName}: delete ${link.name}`);
    this.#remove(this.nsName, link);
    if (link.peer) {
      const peer = this.fake.namespace(link.peer.ns).links.get(link.peer.index);
      if (peer) this.#remove(link.peer.ns, peer);
    }
    return true;
  }

  #remove(nsName: string, link: FakeLink): void {
    const ns = this.fake.namespace(nsName);
    ns.links.delete(link.index);
    ns.routes = ns.routes.filter((r) => r.dev !== link.index);
    for (const other of ns.links.values()) if (other.master === link.index) other.master = undefined;
  }

  async listAddresses(ref?: LinkRef) {
    const links = ref === undefined ? [...this.ns.links.values()] : [this.#require(ref, 'list addresses')];
    return links.flatMap((link) =>
      link.addresses.map((cidr): Address => {
        const [address, prefix] = cidr.split('/') as [string, string];
        return {
          index: link.index,
          family: address.includes(':') ? 6 : 4,
          address,
          prefixLength: Number(prefix),
          cidr,
          scope: 0,
        } as unknown as Address;
      }),
    );
  }

  async addAddress(ref: LinkRef, cidr: string) {
    const link = this.#require(ref, 'add address');
    await this.fake.effect(`${this.nsName}: address ${link.name} ${cidr}`);
    if (link.addresses.includes(cidr)) throw refused('add address', EEXIST);
    link.addresses.push(cidr);
  }

  async addRoute(spec: Parameters<Links['addRoute']>[0]) {
    const dev = spec.dev === undefined ? undefined : this.#require(spec.dev, 'add route');
    await this.fake.effect(`${this.nsName}: route ${spec.dst}`);
    if (this.ns.routes.some((r) => r.dst === spec.dst)) throw refused('add route', EEXIST);
    this.ns.routes.push({ dst: spec.dst, ...(spec.gw !== undefined && { gw: spec.gw }), dev: dev?.index ?? 0 });
  }

  async listRoutes() {
    return this.ns.routes.map(
      (r) => ({ family: r.dst.includes(':') ? 6 : 4, dst: r.dst, gw: r.gw, dev: r.dev, table: 254 }) as unknown as Route,
    );
  }

  close(): void {}
}
