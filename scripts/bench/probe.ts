// Bench-only entry points into lib/, run under Bun (the runtime of the compiled executable, so
// nft goes through bun:ffi and libnftables as a plugin's does), inside a namespace of the
// bench. Not part of any executable we ship.
//
//   bun scripts/bench/probe.ts names '{"stateDir", "zone", "entries": [{"name", "address"}]}'
//       write the zone's names store through lib/dns/names.ts, one owner per name
//   bun scripts/bench/probe.ts zones '{"prefix", "count"}'
//       add `count` other zones' isolation pairs (their own, as each zone's ADD leaves them) to
//       our table in this namespace, in one transaction
//   bun scripts/bench/probe.ts isolation '{"conf", "subnets", "rounds", "warmup"}'
//       time, interleaved round by round, the nft step of an ADD of `conf`'s zone three ways:
//       masquerade alone (the one transaction an ADD without isolation would run), isolation +
//       masquerade (ensureZoneRules, what ADD runs with ipMasq on the netlink backend), and
//       isolation alone (ensureZoneRules without masquerade: ipMasq off, or networkd's backend)
//   bun scripts/bench/probe.ts cold '{"conf"}'
//       time a fresh process's first isolation step (libnftables loaded, first context), then
//       its second
//
// The nspawn zone lock that ensureZoneRules runs under is left out: an ADD takes it for
// masquerade all the same, and the machine's lock is shared with whatever else runs here.
// Prints one JSON line on stdout: {samples: {<variant>: [ms, …]}} or {cold, warm}.
import { parseNetConf } from '../../lib/cni/config.js';
import { setOwnerNames } from '../../lib/dns/names.js';
import { addZoneIsolation } from '../../lib/nft/isolation.js';
import { addZoneMasquerade } from '../../lib/nft/masquerade.js';
import { ourTable } from '../../lib/nft/our-table.js';
import { bridgeName } from '../../lib/networkd/zone-files.js';
import { ensureZoneRules } from '../../lib/zone/isolation.js';
import { loadZoneConfig, type ZoneConfig } from '../../lib/zone/plan.js';
import type { ZoneWorld } from '../../lib/zone/world.js';

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = now();
  await fn();
  return now() - started;
}

/**
 * The part of a ZoneWorld the isolation step uses: our table in this namespace, and no lock.
 * Only that much: the machine's whole world would load every module of the plugin.
 */
function zoneOf(conf: unknown): { world: ZoneWorld; config: ZoneConfig } {
  const table = ourTable();
  const world: Pick<ZoneWorld, 'nft' | 'withZoneLock'> = { nft: () => table, withZoneLock: (fn) => fn() };
  return { world: world as ZoneWorld, config: loadZoneConfig(parseNetConf(JSON.stringify(conf)).conf) };
}

async function names(args: { stateDir: string; zone: string; entries: { name: string; address: string }[] }): Promise<unknown> {
  for (const [i, entry] of args.entries.entries()) {
    const owner = { network: 'bench', containerId: `bench-dns-${i}`, ifname: 'eth0' };
    await setOwnerNames(args.zone, owner, [entry.name], [entry.address], { stateDir: args.stateDir });
  }
  return { written: args.entries.length };
}

async function zones(args: { prefix: string; count: number }): Promise<unknown> {
  const table = ourTable();
  const tx = table.transaction();
  for (let i = 0; i < args.count; i++) {
    const zone = `${args.prefix}${i}`;
    addZoneIsolation(tx, { zone, bridge: bridgeName(zone), peers: [] });
  }
  await table.apply(tx);
  return { zones: args.count };
}

async function isolation(args: { conf: unknown; subnets: string[]; rounds: number; warmup: number }): Promise<unknown> {
  const { world, config } = zoneOf(args.conf);
  const table = world.nft();
  const variants: [string, () => Promise<unknown>][] = [
    [
      'masquerade',
      () => table.apply(addZoneMasquerade(table.transaction(), { zone: config.zone, bridge: config.bridge, subnets: args.subnets })),
    ],
    ['both', () => ensureZoneRules(world, config, args.subnets)],
    ['isolation', () => ensureZoneRules(world, config, undefined)],
  ];
  const samples: Record<string, number[]> = Object.fromEntries(variants.map(([key]) => [key, []]));
  for (let round = -args.warmup; round < args.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const [key, run] of order) {
      const ms = await timed(run);
      if (round >= 0) samples[key]!.push(ms);
    }
  }
  return { samples };
}

async function cold(args: { conf: unknown }): Promise<unknown> {
  const { world, config } = zoneOf(args.conf);
  const first = await timed(() => ensureZoneRules(world, config, undefined));
  const second = await timed(() => ensureZoneRules(world, config, undefined));
  return { cold: first, warm: second };
}

const commands: Record<string, (args: never) => Promise<unknown>> = { names, zones, isolation, cold };

async function main(): Promise<void> {
  const [command, json] = process.argv.slice(2);
  const run = command === undefined ? undefined : commands[command];
  if (run === undefined || json === undefined) {
    process.stderr.write(`usage: bun scripts/bench/probe.ts ${Object.keys(commands).join('|')} JSON\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await run(JSON.parse(json) as never))}\n`);
}

main().catch((e: unknown) => {
  const details = (e as { details?: unknown }).details;
  process.stderr.write(`probe: ${e instanceof Error ? e.message : String(e)}${details ? `: ${String(details)}` : ''}\n`);
  process.exit(1);
});
