// Published ports as `--port [PROTO:]HOST[:CONTAINER]` (systemd-nspawn's --port syntax) and as
// the `portMappings` capability argument of the CNI conventions, which runtimes hand to plugins.
// The mapping itself is lib/ports' PortMapping, the one the plugins publish.
import { CniError, ErrorCode } from '../cni/errors.js';
import { isProtocol, type PortMapping } from '../ports/mappings.js';
const SPEC = /^(?:([a-z]+):)?(\d{1,5})(?::(\d{1,5}))?$/;

function invalidSpec(spec: string, why: string): CniError {
  return new CniError(
    ErrorCode.InvalidNetworkConfig,
    `invalid port "${spec}"`,
    `${why}; expected [tcp|udp|sctp:]HOSTPORT[:CONTAINERPORT], e.g. 8080:80 or udp:5353`,
  );
}

function port(text: string, spec: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw invalidSpec(spec, `${text} is not a port number (1-65535)`);
  return value;
}

/** `8080:80` → tcp 8080 → 80; `udp:53` → udp 53 → 53. */
export function parsePortSpec(spec: string): PortMapping {
  const match = SPEC.exec(spec.trim().toLowerCase());
  if (!match) throw invalidSpec(spec, 'wrong shape');
  const [, protocol = 'tcp', host = '', container] = match;
  if (!isProtocol(protocol)) throw invalidSpec(spec, `unknown protocol "${protocol}"`);
  const hostPort = port(host, spec);
  return { hostPort, containerPort: container === undefined ? hostPort : port(container, spec), protocol };
}

/** The canonical spec of a mapping: `tcp:8080:80`. */
export function formatPortSpec(mapping: PortMapping): string {
  return `${mapping.protocol}:${mapping.hostPort}:${mapping.containerPort}`;
}

/** Two mappings of one attachment may not claim the same host port and protocol. */
export function checkDistinctHostPorts(mappings: readonly PortMapping[]): void {
  const seen = new Set<string>();
  for (const m of mappings) {
    const key = `${m.protocol}:${m.hostPort}`;
    if (seen.has(key)) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `host port ${m.protocol} ${m.hostPort} is published twice`,
        'give each --port its own host port',
      );
    }
    seen.add(key);
  }
}

/** Port mappings read back from a cached `capabilityArgs`, ignoring malformed entries. */
export function portMappingsOf(capabilityArgs: Record<string, unknown> | undefined): PortMapping[] {
  const raw = capabilityArgs?.portMappings;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry): PortMapping[] => {
    if (entry === null || typeof entry !== 'object') return [];
    const e = entry as Partial<Record<keyof PortMapping, unknown>>;
    if (typeof e.hostPort !== 'number' || typeof e.containerPort !== 'number') return [];
    const lower = typeof e.protocol === 'string' ? e.protocol.toLowerCase() : '';
    const protocol = isProtocol(lower) ? lower : 'tcp';
    const mapping: PortMapping = { hostPort: e.hostPort, containerPort: e.containerPort, protocol };
    if (typeof e.hostIP === 'string' && e.hostIP !== '') mapping.hostIP = e.hostIP;
    return [mapping];
  });
}
