// The `zone` plugin's own configuration, on top of the common NetConf:
//   zone       1-12 chars of [A-Za-z0-9_.-], a letter or digit first (lib/names); the bridge is vz-<zone>
//              (default: the network name)
//   backend    auto | networkd | netlink
//   networkDir where networkd files go (default /run/systemd/network)
//   ipMasq, hairpin, mtu, dhcpPool {offset, size}, ipv6Dad (default false: no DAD in containers)
import * as z from 'zod/mini';
import type { NetConf } from '../cni/config.js';
import type { Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import { configPath } from '../cni/paths.js';
import { parseOrThrow } from '../cni/schema.js';
import { defaultNetworkDir } from '../networkd/files.js';
import { ZONE_NAME_RULE, zoneNameProblem, zoneNetworkNameProblem } from '../names/index.js';
import { bridgeName } from '../networkd/zone-files.js';

export type Backend = 'auto' | 'networkd' | 'netlink';

export interface ZoneConfig {
  zone: string;
  bridge: string;
  backend: Backend;
  networkDir: string;
  ipMasq: boolean;
  hairpin: boolean;
  mtu?: number;
  dhcpPool?: { offset: number; size: number };
  ipv6Dad: boolean;
}

let schema: ReturnType<typeof buildSchema> | undefined;

// Built on first use: a VERSION call never pays for it.
function buildSchema() {
  const positive = z.number().check(z.int(), z.positive());
  return z.looseObject({
    zone: z.optional(z.string()),
    backend: z.optional(z.enum(['auto', 'networkd', 'netlink'])),
    networkDir: z.optional(configPath()),
    ipMasq: z.optional(z.boolean()),
    hairpin: z.optional(z.boolean()),
    mtu: z.optional(z.number().check(z.int(), z.gte(68), z.lte(65535))),
    dhcpPool: z.optional(z.object({ offset: positive, size: positive })),
    ipv6Dad: z.optional(z.boolean()),
  });
}

export function loadZoneConfig(conf: NetConf): ZoneConfig {
  schema ??= buildSchema();
  const raw = parseOrThrow(schema, conf, ErrorCode.InvalidNetworkConfig, 'zone configuration');
  const zone = raw.zone ?? conf.name;
  const zoneProblem = zoneNameProblem(zone);
  if (zoneProblem) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid zone name "${zone}"`,
      raw.zone === undefined
        ? `the network name is used as the zone name when "zone" is not set, and ${zoneProblem}: set "zone" to ${ZONE_NAME_RULE}`
        : `${zoneProblem}; a zone name is ${ZONE_NAME_RULE} (vz-<zone> must fit an interface name)`,
    );
  }
  const networkProblem = zoneNetworkNameProblem(conf.name);
  if (networkProblem) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `network name "${conf.name.slice(0, 32)}..." is too long for the zone plugin`,
      networkProblem,
    );
  }
  if (!conf.ipam) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      'the zone plugin needs an "ipam" section',
      'e.g. "ipam": {"type": "zone-ipam", "ranges": [[{"subnet": "10.89.0.0/24"}]]}',
    );
  }
  return {
    zone,
    bridge: bridgeName(zone),
    backend: raw.backend ?? 'auto',
    networkDir: raw.networkDir ?? defaultNetworkDir,
    ipMasq: raw.ipMasq ?? true,
    hairpin: raw.hairpin ?? false,
    ...(raw.mtu !== undefined && { mtu: raw.mtu }),
    ...(raw.dhcpPool && { dhcpPool: raw.dhcpPool }),
    ipv6Dad: raw.ipv6Dad ?? false,
  };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * The container MAC a runtime may ask for: runtimeConfig.mac (capability "mac") wins over
 * args.cni.mac, which wins over CNI_ARGS MAC= (CONVENTIONS.md).
 */
export function requestedMac(req: Request): string | undefined {
  const runtime = req.conf.runtimeConfig?.mac;
  const mac = (typeof runtime === 'string' ? runtime : undefined) ?? req.conf.args?.cni?.mac ?? req.env.args.values.get('MAC');
  if (mac === undefined) return undefined;
  if (!MAC.test(mac))
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MAC address "${mac}"`, 'expected six hex bytes separated by ":"');
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new CniError(ErrorCode.InvalidNetworkConfig, `MAC address ${mac} is a multicast address`);
  return mac.toLowerCase();
}
