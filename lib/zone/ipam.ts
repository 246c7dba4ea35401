// IPAM for the zone plugin: `zone-ipam` runs in-process (same code, no second process);
// any other type (host-local, dhcp...) is delegated through CNI_PATH like the spec says.
import { delegate, delegateAdd } from '../cni/delegate.js';
import type { GcRequest, Request } from '../cni/dispatch.js';
import type { Result } from '../cni/types.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../ipam/commands.js';

export const IN_PROCESS_IPAM = 'zone-ipam';

function ipamType(req: Request): string {
  return req.conf.ipam?.type ?? IN_PROCESS_IPAM;
}

function inProcess(req: Request): boolean {
  return ipamType(req) === IN_PROCESS_IPAM;
}

export function runIpamAdd(req: Request): Promise<Result> {
  return inProcess(req) ? ipamAdd(req) : delegateAdd(ipamType(req), req.env, req.parsed);
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
