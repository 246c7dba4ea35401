// The name of our one nftables table (family inet), shared by every part of the project that
// writes rules: zone masquerade and port publishing. No other table is ever touched.
import type { NftExecutor } from './executor.js';
import { NftTable } from './table.js';

export const TABLE_NAME = 'cni_zones';

export function ourTable(executor?: NftExecutor): NftTable {
  return new NftTable(TABLE_NAME, executor);
}
