// The result model. Inside the project we work with one shape, the 1.1.0 result;
// lib/cni/result.ts converts from and to every wire version.

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface IPConfig {
  /** CIDR notation: the address with its prefix length, e.g. "10.89.0.5/24". */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

/** One attachment, as GC's `cni.dev/valid-attachments` names it. */
export interface Attachment {
  containerID: string;
  ifname: string;
}
