// The chain bench's fallback runtime when the libcni driver cannot be built: the same command
// line on our lib/runtime. `runtime-driver add|del <network> <netns>`, with the same environment
// (NETCONFPATH, CNI_PATH, CAP_ARGS, CNI_IFNAME) and container ID (`bench-` and the first 10
// bytes of the SHA-256 of the netns path); BENCH_CNI_CACHE_DIR moves the result cache.
// scripts/bench/driver.mjs bundles it into dist/bench/runtime-driver.cjs.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { addNetworkList } from '../../lib/runtime/add.js';
import { loadConfList } from '../../lib/runtime/conf-dir.js';
import { delNetworkList } from '../../lib/runtime/del.js';
import type { RuntimeConf } from '../../lib/runtime/runtime-conf.js';

function usage(): never {
  process.stderr.write('usage: runtime-driver add|del <network> <netns>\n');
  process.exit(1);
}

async function main(): Promise<void> {
  const [command, network, netnsArg] = process.argv.slice(2);
  if ((command !== 'add' && command !== 'del') || !network || !netnsArg) usage();
  const netns = resolve(netnsArg);
  const capArgs = process.env.CAP_ARGS;
  const cacheDir = process.env.BENCH_CNI_CACHE_DIR;
  const rt: RuntimeConf = {
    containerId: `bench-${createHash('sha256').update(netns).digest('hex').slice(0, 20)}`,
    netns,
    ifname: process.env.CNI_IFNAME ?? 'eth0',
    pluginDirs: (process.env.CNI_PATH ?? '').split(':').filter((dir) => dir !== ''),
    ...(capArgs ? { capabilityArgs: JSON.parse(capArgs) as Record<string, unknown> } : {}),
    ...(cacheDir ? { cacheDir } : {}),
  };
  const list = await loadConfList(process.env.NETCONFPATH || '/etc/cni/net.d', network);
  if (command === 'add') {
    const result = await addNetworkList(list, rt);
    process.stdout.write(`${JSON.stringify(result, null, 4)}\n`);
  } else {
    await delNetworkList(list, rt);
  }
}

main().catch((e: unknown) => {
  const error = e as { message?: string; details?: string };
  process.stderr.write(`${error.message ?? String(e)}${error.details ? `: ${error.details}` : ''}\n`);
  process.exit(1);
});
