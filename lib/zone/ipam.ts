// IPAM for the zone plugin: `zone-ipam` runs in-process (same code, no second process);
// any other type (host-local, dhcp...) is delegated through CNI_PATH like the spec says.
import { delegate, delegateAdd } from '../cni/delegate.js';
import type { GcRequest, Request } from '../cni/dispatch.js';
import { findPlugin } from '../cni/exec.js';
import type { Result } from '../cni/types.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../ipam/commands.js';
import { loadIpamConfig } from '../ipam/config.js';

export const IN_PROCESS_IPAM = 'zone-ipam';

function ipamType(req: Request): string {
  return req.conf.ipam?.type ?? IN_PROCESS_IPAM;
}

function inProcess(req: Request): boolean {
  return ipamType(req) === IN_PROCESS_IPAM;
}

/**
 * The IPAM step of an ADD, with everything checked that can be checked before an address is
 * taken: zone-ipam's whole configuration, or that the delegated plugin is there at all.
 */
export function prepareIpamAdd(req: Request): () => Promise<Result> {
  if (!inProcess(req)) {
    const type = ipamType(req);
    findPlugin(type, req.env.path);
    return () => delegateAdd(type, req.env, req.parsed);
  }
  const config = loadIpamConfig(req.conf, req.env.args);
  return () => ipamAdd(req, config);
}


export async function runIpamDel(req: Request): Promise<void> {
  if (inProcess(req)) await ipamDel(req);
  else await delegate(ipamType(req), 'DEL', req.env, req.parsed);
}

export async function runIpamCheck(req: Request): Promise<void> {
  if (inProcess(req)) await ipamCheck(req);
  else await delegate(ipamType(req), 'CHECK', req.env, req.parsed);
}

export async function runIpamStatus(req: Request): Promise<void> {
  if (inProcess(req)) await ipamStatus(req);
  else await delegate(ipamType(req), 'STATUS', req.env, req.parsed);
}

export async function runIpamGc(req: GcRequest): Promise<void> {
  if (inProcess(req)) await ipamGc(req);
  else await delegate(ipamType(req), 'GC', req.env, req.parsed);
}
