// Where published ports lead: the container's first address of each family in the previous
// result (on an interface inside the sandbox, or on none named), with the subnet it sits in,
// whose other members must reach it through the host masqueraded (hairpin).
import type { Result } from '../cni/types.js';
import { formatAddress, formatSubnet, type IpFamily, parseCidr, subnetOf } from '../ip/index.js';

export interface Target {
  family: IpFamily;
  /** The container's address, canonical (as nft prints it). */
  address: string;
  /** Its subnet as an nft literal (`10.89.0.0/24`; a lone address without `/32`). */
  subnet: string;
}

export type Targets = Partial<Record<IpFamily, Target>>;

function isContainerSide(result: Result, index: number | undefined): boolean {
  return index === undefined || result.interfaces?.[index]?.sandbox !== undefined;
}

export function containerTargets(result: Result | undefined): Targets {
  const targets: Targets = {};
  for (const ip of result?.ips ?? []) {
    const cidr = parseCidr(ip.address);
    if (cidr === undefined || !isContainerSide(result as Result, ip.interface)) continue;
    const { family } = cidr.address;
    if (targets[family] !== undefined) continue;
    targets[family] = { family, address: formatAddress(cidr.address), subnet: formatSubnet(subnetOf(cidr), { bareHost: true }) };
  }
  return targets;
}
