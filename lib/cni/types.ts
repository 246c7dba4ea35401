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

/**
 * One attachment: a container's interface on a network, the key of everything we keep for it
 * (the host veth's alias, port owners and records, IPAM's store owner, GC's list of what to keep).
 * CNI's wire spells the ID `containerID` (`cni.dev/valid-attachments`); it is translated where it
 * is read (lib/cni/config.ts) and written (lib/runtime/gc.ts). libcni's cache spells it `containerId`.
 */
export interface Attachment {
  network: string;
  containerId: string;
  ifname: string;
}

/** Whether `list` holds `attachment` (same network, container ID and ifname). */
export function isListedAttachment(list: readonly Attachment[], attachment: Attachment): boolean {
  return list.some((a) => a.network === attachment.network && a.containerId === attachment.containerId && a.ifname === attachment.ifname);
}
