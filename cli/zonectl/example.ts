// The network zonectl ships: one zone, dual stack, addresses from zone-ipam below a DHCP pool
// that networkd serves to nspawn machines joined with --network-zone, ports published by the
// zone plugin itself. `zonectl install --example` writes it (examples/cni-zones.conflist is this text,
// kept in step by a test) and the demo runs on a variant of it.
//
// cniVersion 1.0.0 plus cniVersions: runtimes on libcni 1.1.2 (podman 4.3, cnitool 1.1.2)
// reject 1.1.0 results, newer ones pick 1.1.0 from the list.
export const DEFAULT_NETWORK = 'cni-zones';
export const CONFLIST_FILE = 'cni-zones.conflist';

export interface ExampleOptions {
  network?: string;
  /** Default: the network name. */
  zone?: string;
  /** `10.89.0` for 10.89.0.0/24 (addresses .2-.127 from IPAM, .128-.227 from DHCP). */
  ipv4Prefix?: string;
  /** `fd89::` for fd89::/64; false for IPv4 only. */
  ipv6Prefix?: string | false;
  backend?: 'auto' | 'networkd' | 'netlink';
  /** IPAM store (default: zone-ipam's /var/lib/cni/networks). */
  dataDir?: string;
  /** Where networkd files go (default: the zone plugin's /run/systemd/network). */
  networkDir?: string;
  /** Where published ports are recorded (default: the plugin's /run/cni-zones/ports). */
  portsStateDir?: string;
  /** Where the zone's name server keeps its names (default /run/cni-zones/dns). */
  dnsStateDir?: string;
}

export function exampleConfList(options: ExampleOptions = {}): Record<string, unknown> {
  const network = options.network ?? DEFAULT_NETWORK;
  const v4 = options.ipv4Prefix ?? '10.89.0';
  const v6 = options.ipv6Prefix ?? 'fd89::';
  const ranges: object[][] = [[{ subnet: `${v4}.0/24`, rangeEnd: `${v4}.127` }]];
  const routes: object[] = [{ dst: '0.0.0.0/0' }];
  if (v6 !== false) {
    ranges.push([{ subnet: `${v6}/64` }]);
    routes.push({ dst: '::/0' });
  }
  return {
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: network,
    plugins: [
      {
        type: 'zone',
        zone: options.zone ?? network,
        backend: options.backend ?? 'auto',
        ...(options.networkDir !== undefined && { networkDir: options.networkDir }),
        ipMasq: true,
        hairpin: true,
        dhcpPool: { offset: 128, size: 100 },
        ...(options.portsStateDir !== undefined && { portsStateDir: options.portsStateDir }),
        ...(options.dnsStateDir !== undefined && { nameServer: { stateDir: options.dnsStateDir } }),
        ipam: {
          type: 'zone-ipam',
          ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
          ranges,
          routes,
        },
        capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
      },
    ],
  };
}

const LINE = 72;

function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

// JSON a person can read: whatever fits on a line stays on one line.
function pretty(value: unknown, indent: string, room: number): string {
  const flat = inline(value);
  if (flat.length <= room || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + pretty(v, inner, LINE - inner.length)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + pretty(v, inner, LINE - inner.length - key.length);
  });
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** The file text: JSON with short objects and arrays on one line, and a final newline. */
export function renderConfList(conflist: Record<string, unknown>): string {
  return `${pretty(conflist, '', 0)}\n`;
}
