// 7. What zone isolation adds to an ADD (lib/zone/isolation.ts, lib/nft/isolation.ts: the chain
// zone_isolation and the set zone_allow of our table, made sure of by every ADD).
//
// An ADD cannot be run without isolation (there is no switch, and the bench adds none), so the
// cost is taken where it is paid, the ADD's nft step, and its growth end to end:
// - In process (probe.ts `isolation`, under Bun as in the compiled plugin, the zone lock left out
//   on both sides): the step as an ADD with masquerade runs it (ensureZoneRules: list zone_allow,
//   then isolation and masquerade in one transaction) beside the one transaction an ADD without
//   isolation would run in its place (masquerade alone), interleaved round by round; the
//   per-round difference is what isolation adds. With ipMasq off (or networkd's backend) the
//   step is isolation alone: chain and set listed, no transaction when they are in place. A
//   process that then uses nft for nothing else loads libnftables for it: probe.ts `cold` times
//   a fresh process's first step less its second.
// - End to end: the compiled zone + zone-ipam ADD of a container joining a running zone, in two
//   host namespaces alike but for zone_allow: in one it holds the zone's own pair only, in the
//   other OTHER_ZONES more zones' pairs (written through lib/nft/isolation.ts as those zones'
//   ADDs would leave them, probe.ts `zones`), the rounds alternating between them. The in-process
//   step is timed in both namespaces too.
import { anchorMember, attachCycle } from './attach.mjs';
import { BenchError, createNetns, interleave, median, ms, p90, pairedRatio, progress, ratio, say, table, tempDir, walls } from './core.mjs';
import { FORMS, formBlocker, REFERENCE, zoneConf } from './plugins.mjs';
import { bunBlocker, probe } from './probe.mjs';

const OTHER_ZONES = 49;
const SUBNET = '10.96.0.0/16';
const STEP_ROUNDS = { full: 100, quick: 30 };
const STEP_WARMUP = 5;

const ms2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const differences = (a, b) => a.map((x, i) => x - b[i]);

/** One host namespace with a running zone; `others` more zones' pairs in zone_allow. */
async function zoneHost(key, others, dir) {
  const ns = createNetns(`iso${key}`);
  const conf = zoneConf({
    network: 'benchiso',
    subnet: SUBNET,
    dataDir: `${dir}/${key}`,
    extra: { nameServer: { stateDir: `${dir}/${key}/dns` } },
  });
  const compiled = FORMS[0];
  let removeAnchor;
  try {
    removeAnchor = anchorMember({
      executable: `${compiled.dir}/zone`,
      conf,
      host: ns,
      containerId: `anchor-iso-${key}`,
      path: `${compiled.dir}:${REFERENCE.dir}`,
    });
  } catch (e) {
    ns.remove();
    throw e;
  }
  const remove = () => {
    try {
      removeAnchor();
    } finally {
      ns.remove();
    }
  };
  try {
    if (others > 0) await probe(ns, 'zones', { prefix: 'other', count: others });
  } catch (e) {
    remove();
    throw e;
  }
  return {
    key,
    ns,
    conf,
    run: (round) =>
      attachCycle({
        label: `zone (${key})`,
        executable: `${compiled.dir}/zone`,
        conf,
        host: ns,
        containerId: `bench-iso-${key}-${round}`,
        path: `${compiled.dir}:${REFERENCE.dir}`,
        peak: { what: 'zone', form: compiled.form, where: `zone + zone-ipam, isolation section (${key})` },
      }),
    remove,
  };
}

export async function isolationSection(ctx) {
  say('## 7. What zone isolation adds to ADD\n');
  const noBun = bunBlocker();
  if (noBun) throw new BenchError(noBun);
  const blocker = formBlocker(FORMS[0], ['zone']);
  if (blocker) throw new BenchError(blocker);
  const dir = tempDir('isolation');
  const hosts = [];
  try {
    hosts.push(await zoneHost('one', 0, dir.path), await zoneHost('many', OTHER_ZONES, dir.path));
    const [one] = hosts;
    progress('isolation: warm-up');
    for (const host of hosts) host.run('warm');
    progress(`isolation: ${ctx.runs} rounds of ADD + DEL, zone_allow with 1 and ${OTHER_ZONES + 1} zones`);
    const samples = await interleave(
      ctx.runs,
      hosts.map((host) => ({ key: host.key, run: host.run })),
    );
    const adds = (key) => samples[key].map((s) => s.add);

    const rounds = ctx.quick ? STEP_ROUNDS.quick : STEP_ROUNDS.full;
    progress(`isolation: the nft step in process, ${rounds} rounds in each namespace`);
    const steps = {};
    for (const host of hosts) {
      steps[host.key] = (await probe(host.ns, 'isolation', { conf: host.conf, subnets: [SUBNET], rounds, warmup: STEP_WARMUP })).samples;
    }
    const colds = [];
    for (let i = 0; i < ctx.runs; i++) colds.push(await probe(one.ns, 'cold', { conf: one.conf }));

    const zones = (n) => `${n} zone${n === 1 ? '' : 's'}`;
    const addOne = walls(adds('one'));
    const addMany = walls(adds('many'));
    const growth = pairedRatio(addMany, addOne);
    say(
      table(
        ['ADD of a container joining a running zone', 'zone_allow holds', '>median ms', '>p90 ms', '>× 1 zone'],
        [
          ['zone + zone-ipam, compiled', zones(1), ms(median(addOne)), ms(p90(addOne)), ratio(1)],
          ['zone + zone-ipam, compiled', zones(OTHER_ZONES + 1), ms(median(addMany)), ms(p90(addMany)), ratio(growth)],
        ],
      ),
    );

    const stepRow = (label, pick) => {
      const cells = [label];
      for (const host of hosts) {
        const values = pick(steps[host.key]);
        cells.push(ms2(median(values)), ms2(p90(values)));
      }
      return cells;
    };
    const share = (s) => differences(s.both, s.masquerade);
    const coldCost = differences(
      colds.map((c) => c.cold),
      colds.map((c) => c.warm),
    );
    say('');
    say(
      table(
        ['the nft step of an ADD, in process', `>${zones(1)}: median ms`, '>p90 ms', `>${zones(OTHER_ZONES + 1)}: median ms`, '>p90 ms'],
        [
          stepRow('masquerade alone: the transaction an ADD without isolation would run', (s) => s.masquerade),
          stepRow('isolation + masquerade, as ADD runs it (ipMasq, netlink backend)', (s) => s.both),
          stepRow('**isolation’s share** (per-round difference of the two)', share),
          stepRow('isolation alone, as ADD runs it without masquerade (listings, no transaction)', (s) => s.isolation),
          [
            'first use in a process (libnftables loaded, first context): paid by an ADD in which nothing else uses nft',
            ms2(median(coldCost)),
            ms2(p90(coldCost)),
            'n/a',
            'n/a',
          ],
        ],
      ),
    );
    const shareOne = median(share(steps.one));
    ctx.results.isolation = { share: shareOne, add: median(addOne), growth };
    say(
      `\nIsolation's share of an ADD with masquerade here: ${ms2(shareOne)} ms of ${ms(median(addOne))} ms (${((100 * shareOne) / median(addOne)).toFixed(1)} %);` +
        ` with ${OTHER_ZONES + 1} zones in zone_allow the ADD takes ${ratio(growth)} its time with 1.` +
        ` End to end: ${ctx.runs} rounds of one ADD + DEL per namespace (ADD shown), each in a fresh container namespace, a member (anchor) staying in each zone;` +
        ` ${OTHER_ZONES} other zones' pairs written to one namespace's zone_allow as their own ADDs would leave them (bench-only, through lib/nft/isolation.ts).` +
        ` In process: ${rounds} rounds of the three steps (order reversed every other round) through lib/zone/isolation.ts and lib/nft under Bun, in each namespace after its ADDs, without the zone lock (an ADD takes it for masquerade alike);` +
        ` the first-use row: ${ctx.runs} fresh processes, each's first isolation step less its second.`,
    );
  } finally {
    for (const host of hosts) host.remove();
    dir.remove();
  }
}
