// A small rtnetlink client bound to one network namespace:
//
//   const rt = await Rtnl.open('/run/netns/ctr');   // undefined = the thread's own namespace
//   try { await rt.setUp('eth0'); } finally { rt.close(); }
//
// The socket is made inside the namespace and stays there, so every call acts on that
// namespace no matter where the thread is. Links can be named by index, name or a Link read
// before; a name costs one extra lookup. Failures are RtnlErrors (see isRtnlExists/isRtnlNotFound).

import type { IpFamily } from '../ip/index.js';
import type { NetnsTarget } from '../netns/enter.js';
import * as addresses from './addresses.js';
import type { AddAddressOptions, Address } from './addresses.js';
import * as links from './links.js';
import type { BridgeOptions, Link, LinkRef, VethOptions } from './links.js';
import * as routes from './routes.js';
import type { Route, RouteFilter, RouteSpec } from './routes.js';
import { openRtSocket, type RtSocket } from './socket.js';

export type RouteSpecOnLink = Omit<RouteSpec, 'dev'> & { dev?: LinkRef };

export interface AddressQuery {
  family?: IpFamily;
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
  static async open(netns?: NetnsTarget): Promise<Rtnl> {
    const socket = openRtSocket(netns);
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

  listLinks(): Promise<Link[]> {
    return links.listLinks(this.socket);
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

  async addAddress(ref: LinkRef, cidr: string, options: AddAddressOptions = {}): Promise<void> {
    return addresses.addAddress(this.socket, await this.linkIndex(ref), cidr, options);
  }

  /** Addresses of one link, or of all links when `ref` is undefined. */
  async listAddresses(ref?: LinkRef, query: AddressQuery = {}): Promise<Address[]> {
    const index = ref === undefined ? undefined : await this.linkIndex(ref);
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
