// A small rtnetlink client bound to one network namespace:
//
//   const rt = await Rtnl.open('/run/netns/ctr');   // undefined = the thread's own namespace
//   try { await rt.setUp('eth0'); } finally { rt.close(); }
//
// The socket is made inside the namespace and stays there, so every call acts on that
// namespace no matter where the thread is. Links can be named by index, name or a Link read
// before; a name costs one extra lookup. Failures are RtnlErrors (see isRtnlExists/isRtnlNotFound).
//
// `Rtnl.open(netns, { strictChecking: true })` asks the kernel to check dump requests strictly
// (NETLINK_GET_STRICT_CHK, Linux 4.20): it then honours their filters, the link index of an
// address list and above all a target namespace (listAddresses `netnsId`), which it ignores
// otherwise.

import type { IpFamily } from '../ip/index.js';
import { getLibc, SOL_NETLINK } from '../libc/index.js';
import type { NetnsTarget } from '../netns/enter.js';
import * as addresses from './addresses.js';
import type { AddAddressOptions, Address } from './addresses.js';
import * as fdb from './fdb.js';
import * as links from './links.js';
import * as vxlan from './vxlan.js';
import type { VxlanIdentity, VxlanOptions } from './vxlan.js';
import type { BridgeOptions, Link, LinkFilter, LinkRef, VethOptions } from './links.js';
import * as routes from './routes.js';
import type { Route, RouteFilter, RouteSpec } from './routes.js';
import { addressArgument, invalidArgument, toRtnlError } from './errors.js';
import { type NetlinkSocket, openRtSocket, type RtSocket } from './socket.js';

// linux/netlink.h
const NETLINK_GET_STRICT_CHK = 12;

export type RouteSpecOnLink = Omit<RouteSpec, 'dev'> & { dev?: LinkRef };

export interface AddressQuery {
  family?: IpFamily;
  /** The addresses of another namespace, by its id as this one sees it (a veth's peerNetnsId); needs strictChecking. */
  netnsId?: number;
}

export interface OpenOptions {
  /** Dump requests checked strictly, and their filters honoured (see the top of the file). */
  strictChecking?: boolean;
}

export interface RouteQuery extends Omit<RouteFilter, 'dev'> {}

export class Rtnl {
  #closed = false;

  /** Wrap an open socket (or a fake in tests); `close` is what releases it. */
  constructor(
    readonly socket: RtSocket,
    private readonly release: () => void = () => undefined,
  ) {}

  /** A client for `netns` (path, fd or handle), or for the thread's own namespace. */
  static async open(netns?: NetnsTarget, options: OpenOptions = {}): Promise<Rtnl> {
    const socket = openRtSocket(netns);
    try {
      if (options.strictChecking) checkStrictly(socket);
    } catch (e) {
      socket.close();
      throw e;
    }
    return new Rtnl(socket, () => socket.close());
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
  }

  getLink(name: string): Promise<Link | undefined> {
    return links.getLink(this.socket, name);
  }

  getLinkByIndex(index: number): Promise<Link | undefined> {
    return links.getLinkByIndex(this.socket, index);
  }

  /** Every link, or the ports of `filter.master`. */
  listLinks(filter: LinkFilter = {}): Promise<Link[]> {
    return links.listLinks(this.socket, filter);
  }

  /** The index of a link; a name that does not exist is an isRtnlNotFound error. */
  linkIndex(ref: LinkRef): Promise<number> {
    return links.resolveIndex(this.socket, ref);
  }

  createBridge(name: string, options: BridgeOptions = {}): Promise<Link> {
    return links.createBridge(this.socket, name, options);
  }

  createVeth(options: VethOptions): Promise<Link> {
    return links.createVeth(this.socket, options);
  }

  setMaster(ref: LinkRef, master: LinkRef | undefined): Promise<void> {
    return links.setMaster(this.socket, ref, master);
  }

  setUp(ref: LinkRef): Promise<void> {
    return links.setUp(this.socket, ref);
  }

  setHairpin(ref: LinkRef, on: boolean): Promise<void> {
    return links.setHairpin(this.socket, ref, on);
  }

  deleteLink(ref: LinkRef): Promise<void> {
    return links.deleteLink(this.socket, ref);
  }

  /** True when something was deleted, false when it was not there. */
  deleteLinkIfExists(ref: LinkRef): Promise<boolean> {
    return links.deleteLinkIfExists(this.socket, ref);
  }

  /** A new VXLAN device (vxlan.ts); its identity cannot change later. */
  createVxlan(options: VxlanOptions): Promise<Link> {
    return vxlan.createVxlan(this.socket, options);
  }

  /** VNI, local address and port of the VXLAN device `name`; undefined when there is none by that name or it is no VXLAN device. */
  async vxlanIdentity(name: string): Promise<VxlanIdentity | undefined> {
    return vxlan.readVxlanIdentity(this.socket, name);
  }

  /** The peers a VXLAN device copies broadcast and unknown frames to (fdb.ts). */
  async floodEntries(ref: LinkRef): Promise<string[]> {
    return fdb.readFloodEntries(this.socket, await this.linkIndex(ref));
  }

  /** One already there is fine. */
  async addFloodEntry(ref: LinkRef, peer: string): Promise<void> {
    fdb.addFloodEntry(this.socket, await this.linkIndex(ref), addressArgument('add fdb flood entry', peer));
  }

  /** One already gone is fine. */
  async deleteFloodEntry(ref: LinkRef, peer: string): Promise<void> {
    fdb.deleteFloodEntry(this.socket, await this.linkIndex(ref), addressArgument('delete fdb flood entry', peer));
  }

  async addAddress(ref: LinkRef, cidr: string, options: AddAddressOptions = {}): Promise<void> {
    return addresses.addAddress(this.socket, await this.linkIndex(ref), cidr, options);
  }

  /**
   * Addresses of one link, or of all links when `ref` is undefined. With `query.netnsId`, of that
   * namespace: `ref` is then an index there (a veth's peerIndex), never looked up here.
   */
  async listAddresses(ref?: LinkRef, query: AddressQuery = {}): Promise<Address[]> {
    let index: number | undefined;
    if (ref === undefined) index = undefined;
    else if (query.netnsId === undefined) index = await this.linkIndex(ref);
    else if (typeof ref === 'number') index = ref;
    else throw invalidArgument('list addresses', 'a link of another namespace is named by its index there');
    return addresses.listAddresses(this.socket, { ...query, ...(index === undefined ? {} : { index }) });
  }

  async deleteAddress(ref: LinkRef, cidr: string): Promise<void> {
    return addresses.deleteAddress(this.socket, await this.linkIndex(ref), cidr);
  }

  async addRoute(spec: RouteSpecOnLink): Promise<void> {
    return routes.addRoute(this.socket, await this.onLink(spec));
  }

  /** Routes of the main table (or `query.table`), of one output link or all. */
  async listRoutes(ref?: LinkRef, query: RouteQuery = {}): Promise<Route[]> {
    const dev = ref === undefined ? undefined : await this.linkIndex(ref);
    return routes.listRoutes(this.socket, { ...query, ...(dev === undefined ? {} : { dev }) });
  }

  async deleteRoute(spec: RouteSpecOnLink): Promise<void> {
    return routes.deleteRoute(this.socket, await this.onLink(spec));
  }

  private async onLink(spec: RouteSpecOnLink): Promise<RouteSpec> {
    const { dev, ...rest } = spec;
    return dev === undefined ? rest : { ...rest, dev: await this.linkIndex(dev) };
  }
}

function checkStrictly(socket: NetlinkSocket): void {
  try {
    getLibc().setsockopt(socket.fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, Buffer.from(new Int32Array([1]).buffer));
  } catch (e) {
    throw toRtnlError(e, 'turn on strict checking of the netlink socket');
  }
}
