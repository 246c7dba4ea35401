// Port mappings as runtimes send them in `runtimeConfig.portMappings` (capability
// `portMappings`, CONVENTIONS.md): {hostPort, containerPort, protocol, hostIP}. Validated
// here, at the edge, into plain values: a port is 1-65535, a protocol tcp, udp or sctp
// (any case; tcp when missing, as in the reference portmap), hostIP empty or one address
// (::1 for TCP only: a proxy serves it, proxies.ts).
import * as z from 'zod/mini';
import type { NetConf } from '../cni/config.js';
import { ErrorCode } from '../cni/errors.js';
import { parseOrThrow } from '../cni/schema.js';
import { formatAddress, formatHostPort, isV4Mapped, type IpFamily, parseAddress } from '../ip/index.js';
import { invalidMapping } from './errors.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export function isProtocol(text: string): text is Protocol {
  return (PROTOCOLS as readonly string[]).includes(text);
}

/**
 * One published port: what `portMappings` carries, once validated, and what `zonectl up --port`
 * and `zonectl status` deal in (lib/nspawn/port-spec.ts). `family` is derived from hostIP here
 * and never sent back on the wire.
 */
export interface PortMapping {
  protocol: Protocol;
  hostPort: number;
  containerPort: number;
  /** Only this family: from hostIP (`0.0.0.0` = every IPv4 address, `::` = every IPv6 one). */
  family?: IpFamily;
  /** Only this host address (canonical text); undefined = every local address of `family`. */
  hostIP?: string;
}

let schema: ReturnType<typeof buildSchema> | undefined;

// Built on first use: a plugin start without mappings never pays for it.
function buildSchema() {
  const entry = z.looseObject({
    hostPort: z.number(),
    containerPort: z.number(),
    protocol: z.optional(z.nullable(z.string())),
    hostIP: z.optional(z.nullable(z.string())),
  });
  return z.array(entry);
}

function checkPort(what: string, value: number, index: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalidMapping(`portMappings[${index}]: ${what} must be an integer from 1 to 65535, got ${value}`);
  }
  return value;
}

function checkProtocol(value: string | null | undefined, index: number): Protocol {
  const protocol = (value ?? '').toLowerCase() || 'tcp';
  if (!isProtocol(protocol)) {
    throw invalidMapping(`portMappings[${index}]: unknown protocol ${JSON.stringify(value)}`, `allowed: ${PROTOCOLS.join(', ')}`);
  }
  return protocol;
}

// The kernel cannot DNAT traffic to ::1 (there is no IPv6 route_localnet): [::1] is served by a
// userspace proxy (proxies.ts), and systemd-socket-proxyd only carries streams.
function checkLoopback6(protocol: Protocol, hostIP: string | undefined, index: number): void {
  if (hostIP !== '::1' || protocol === 'tcp') return;
  throw invalidMapping(
    `portMappings[${index}]: ${protocol} cannot be published on hostIP ::1`,
    '[::1] is served by a proxy (the kernel cannot forward IPv6 loopback traffic), and the proxy carries TCP only; use hostIP 127.0.0.1 for UDP',
  );
}

/** hostIP → the family and address it restricts a mapping to. */
function checkHostIP(value: string | null | undefined, index: number): Pick<PortMapping, 'family' | 'hostIP'> {
  if (value === undefined || value === null || value === '') return {};
  const address = parseAddress(value);
  if (address === undefined) {
    throw invalidMapping(
      `portMappings[${index}]: hostIP ${JSON.stringify(value)} is not an IP address`,
      'expected an IPv4 or IPv6 address without prefix, or an empty string for every address',
    );
  }
  if (isV4Mapped(address)) {
    throw invalidMapping(`portMappings[${index}]: hostIP ${value} is an IPv4-mapped IPv6 address`, 'write it as an IPv4 address');
  }
  if (address.value === 0n) return { family: address.family };
  return { family: address.family, hostIP: formatAddress(address) };
}

/** Validate a `portMappings` value; throws code 7 naming the first bad entry. */
export function parsePortMappings(value: unknown): PortMapping[] {
  schema ??= buildSchema();
  const entries = parseOrThrow(schema, value, ErrorCode.InvalidNetworkConfig, 'runtimeConfig.portMappings');
  return entries.map((entry, index) => {
    const mapping = {
      protocol: checkProtocol(entry.protocol, index),
      hostPort: checkPort('hostPort', entry.hostPort, index),
      containerPort: checkPort('containerPort', entry.containerPort, index),
      ...checkHostIP(entry.hostIP, index),
    };
    checkLoopback6(mapping.protocol, mapping.hostIP, index);
    return mapping;
  });
}

/** The mappings a request carries; undefined when it carries none at all (no runtimeConfig entry). */
export function requestedMappings(conf: NetConf): PortMapping[] | undefined {
  const value = (conf.runtimeConfig as Record<string, unknown> | undefined)?.portMappings;
  return value === undefined || value === null ? undefined : parsePortMappings(value);
}

/** `tcp/8080`, `udp/127.0.0.1:53`, `tcp/[2001:db8::1]:443` */
export function mappingLabel(mapping: Pick<PortMapping, 'protocol' | 'hostPort' | 'hostIP'>): string {
  const { protocol, hostPort, hostIP } = mapping;
  if (hostIP === undefined) return `${protocol}/${hostPort}`;
  return `${protocol}/${formatHostPort(hostIP, hostPort)}`;
}
