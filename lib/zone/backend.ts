// Which backend serves a zone: networkd when it runs and answers on D-Bus, else netlink.
// A networkd that exists but does not answer is not "absent": falling back to netlink then
// would race networkd's vendor 80-container-vz.network for the bridge when it comes back.
import { CniError, ErrorCode } from '../cni/errors.js';
import { detectNetworkd } from '../networkd/networkd.js';
import type { Backend } from './config.js';

export type ResolvedBackend = 'networkd' | 'netlink';

export async function resolveBackend(wanted: Backend): Promise<ResolvedBackend> {
  if (wanted === 'netlink') return 'netlink';
  const detection = await detectNetworkd();
  if (detection.presence === 'running') return 'networkd';
  if (detection.presence === 'unresponsive') {
    throw new CniError(ErrorCode.TryAgainLater, 'systemd-networkd does not answer', detection.reason);
  }
  if (wanted === 'networkd') {
    throw new CniError(
      ErrorCode.PluginNotAvailable,
      'backend "networkd" chosen but systemd-networkd is not running',
      `${detection.reason}; start systemd-networkd or set "backend": "auto" or "netlink"`,
    );
  }
  return 'netlink';
}
