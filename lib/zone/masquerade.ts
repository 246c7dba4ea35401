// Masquerade for the netlink backend (networkd does its own with IPMasquerade=): the zone's
// subnets in our nftables table. Adding is idempotent, so an ADD costs one `nft` process and
// no listing (reading the table costs more than writing it).
import { addZoneMasquerade, removeZoneMasquerade } from '../nft/masquerade.js';
import { ourTable } from '../nft/our-table.js';
import type { ZoneConfig } from './config.js';

export async function ensureMasquerade(config: ZoneConfig, subnets: readonly string[]): Promise<void> {
  const table = ourTable();
  await table.apply(addZoneMasquerade(table.transaction(), { zone: config.zone, bridge: config.bridge, subnets }));
}

export async function removeMasquerade(zone: string): Promise<void> {
  const table = ourTable();
  const current = await table.list();
  await table.apply(removeZoneMasquerade(table.transaction(), zone, current));
}
