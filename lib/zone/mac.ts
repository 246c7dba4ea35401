// The container MAC a runtime may ask for: runtimeConfig.mac (capability "mac") wins over
// args.cni.mac, which wins over CNI_ARGS MAC= (CONVENTIONS.md).
import type { Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function requestedMac(req: Request): string | undefined {
  const runtime = req.conf.runtimeConfig?.mac;
  const mac = (typeof runtime === 'string' ? runtime : undefined) ?? req.conf.args?.cni?.mac ?? req.env.args.values.get('MAC');
  if (mac === undefined) return undefined;
  if (!MAC.test(mac)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MAC address "${mac}"`, 'expected six hex bytes separated by ":"');
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new CniError(ErrorCode.InvalidNetworkConfig, `MAC address ${mac} is a multicast address`);
  return mac.toLowerCase();
}
