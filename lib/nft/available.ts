// STATUS support: can this host run our nftables transactions at all? One cheap
// `nft list tables`: it needs libnftables or the binary, permission and nf_tables in the kernel.
import { defaultNftExecutor } from './default-executor.js';
import type { NftExecutor } from './executor.js';

export type NftAvailability = { available: true } | { available: false; reason: string };

export async function nftAvailable(executor: NftExecutor = defaultNftExecutor()): Promise<NftAvailability> {
  try {
    await executor.run(['list', 'tables']);
    return { available: true };
  } catch (e) {
    const details = e instanceof Error && 'details' in e && typeof e.details === 'string' && e.details ? `: ${e.details}` : '';
    return { available: false, reason: `${e instanceof Error ? e.message : String(e)}${details}` };
  }
}
