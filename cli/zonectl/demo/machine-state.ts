// A demo machine as the demo keeps track of it: how it joined its zone, its addresses, its
// published ports and its running program; and its addresses read from a CNI result.
import type { Result } from '../../../lib/cni/types.js';
import { familyOf, stripPrefix } from '../../../lib/ip/index.js';
import type { PortMapping } from '../../../lib/ports/mappings.js';
import type { Background } from '../process.js';
import type { Machine } from './machines.js';

export interface MachineState {
  machine: Machine;
  /** How it joined the zone. */
  joined: string;
  addresses: string[];
  ports: PortMapping[];
  process?: Background;
  /** Attached by `zonectl up` (and so detached by `zonectl down`). */
  up: boolean;
}

export function ipv4Of(state: MachineState): string {
  const v4 = state.addresses.map(stripPrefix).find((a) => familyOf(a) === 4);
  if (!v4) throw new Error(`${state.machine.name} got no IPv4 address`);
  return v4;
}

/** The addresses of the result's interface in `netns` (or of no interface in particular). */
export function sandboxAddresses(result: Result, netns: string): string[] {
  const index = result.interfaces?.findIndex((i) => i.sandbox === netns) ?? -1;
  return (result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === index).map((ip) => ip.address);
}
