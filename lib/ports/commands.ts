// CNI commands of port publishing, for the chained `zone-ports` plugin and for `zone` when
// it has the portMappings capability: a CNI request → a PortsRequest → the engine.
import type { GcRequest, Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Result } from '../cni/types.js';
import { nftAvailable } from '../nft/available.js';
import { loadPortsConfig, loadPortsConfigForDel } from './config.js';
import { type PortMapping, requestedMappings } from './mappings.js';
import { systemProxies } from './proxies.js';
import { publishPorts } from './publish.js';
import type { Owner } from './owner.js';
import type { PortsDeps, PortsRequest } from './request.js';
import { collectPorts, unpublishPorts } from './unpublish.js';
import { checkPorts } from './verify.js';

/** Whether a request concerns ports: it carries portMappings, or its config declares the capability. */
export function wantsPorts(req: Request): boolean {
  const runtime = req.conf.runtimeConfig as Record<string, unknown> | undefined;
  return runtime?.portMappings !== undefined || req.conf.capabilities?.portMappings === true;
}

export function portsOwner(req: Request): Owner {
  return { network: req.conf.name, containerId: req.env.containerId, ifname: req.env.ifname };
}

export function portsRequest(req: Request, result?: Result): PortsRequest {
  return {
    owner: portsOwner(req),
    mappings: requestedMappings(req.conf),
    config: loadPortsConfig(req.conf),
    ...(result !== undefined && { result }),
  };
}

/** ADD: publish toward the addresses in `result` (zone-ports: prevResult, returned unchanged). */
export async function portsAdd(req: Request, result: Result, deps?: PortsDeps): Promise<Result> {
  await publishPorts(portsRequest(req, result), deps);
  return result;
}

/** DEL works from the attachment's record and tag: mappings it cannot parse do not stop it. */
export async function portsDel(req: Request, deps?: PortsDeps): Promise<void> {
  let mappings: PortMapping[] | undefined;
  try {
    mappings = requestedMappings(req.conf);
  } catch {
    mappings = undefined;
  }
  await unpublishPorts(
    { owner: portsOwner(req), mappings, config: loadPortsConfigForDel(req.conf), ...(req.prevResult && { result: req.prevResult }) },
    deps,
  );
}

export async function portsCheck(req: Request, result: Result, deps?: PortsDeps): Promise<void> {
  await checkPorts(portsRequest(req, result), deps);
}

export async function portsGc(req: GcRequest, deps?: PortsDeps): Promise<void> {
  await collectPorts(req.conf.name, req.validAttachments, loadPortsConfig(req.conf), deps);
}

/** STATUS: code 50 when nft cannot run or the kernel lacks nf_tables, or [::1] is on and its proxy is missing. */
export async function portsStatus(req: Request, deps?: PortsDeps): Promise<void> {
  const config = loadPortsConfig(req.conf);
  const availability = await nftAvailable(deps?.executor);
  if (!availability.available) {
    throw new CniError(ErrorCode.PluginNotAvailable, 'nftables is not available: ports cannot be published', availability.reason);
  }
  if (config.localhost6) (deps?.proxies ?? systemProxies).available();
}
