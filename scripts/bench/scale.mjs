// 5. Scale: does ADD / DEL stay flat as a zone fills up, and as our nft table fills with mappings?
//
// Two host namespaces side by side: one whose zone (or table) is filled level by level, and one
// whose zone stays empty. At each level the rounds alternate an ADD + DEL in the filled one and
// in the empty one, so "× 0" is taken round by round against a zone at 0 measured at the same
// moment: the machine's drift between levels cancels out. The level-0 row (both empty) shows
// the noise floor of that pairing. Compiled plugin only (what we ship).
import { attachCycle } from './attach.mjs';
import {
  BenchError,
  createNetns,
  interleave,
  measure,
  median,
  mib,
  ms,
  notePeak,
  onCleanup,
  pairedRatio,
  peakMiB,
  progress,
  ratio,
  removeNetnsMany,
  runAsync,
  say,
  table,
  tempDir,
  tick,
  walls,
} from './core.mjs';
import { cniEnv, FORMS, formBlocker, REFERENCE, twoMappings, zoneConf } from './plugins.mjs';
import { chainedConf, portsCycle, portsWorld } from './ports.mjs';

// A Linux bridge takes at most 1023 ports: the top level, plus the one measured, must fit.
const MAX_ATTACHMENTS = 1020;
// Fill attachments share container namespaces, this many each (eth0, eth1, ...): the host side
// (veths on the bridge, IPAM store, nft) is what a zone scales with, and making a namespace
// costs nearly as much as an ADD on a busy machine (the kernel serialises it with netlink changes).
const PER_FILL_NETNS = 10;
// "A few" ADD + DEL pairs per level: the fill, not the rounds, is what takes the time.
const roundsOf = (ctx) => Math.min(ctx.runs, 10);

function levelRows(levels, samplesAt, results, key) {
  const rows = [];
  for (const level of levels) {
    const { filled, empty } = samplesAt.get(level);
    const pick = (samples, step) => walls(samples.map((s) => s[step]));
    const add = pairedRatio(pick(filled, 'add'), pick(empty, 'add'));
    const del = pairedRatio(pick(filled, 'del'), pick(empty, 'del'));
    results[key] = { level, add, del };
    const rss = peakMiB([...filled.map((s) => s.add), ...filled.map((s) => s.del)]);
    rows.push([
      String(level),
      ms(median(pick(filled, 'add'))),
      ms(median(pick(empty, 'add'))),
      ratio(add),
      ms(median(pick(filled, 'del'))),
      ms(median(pick(empty, 'del'))),
      ratio(del),
      mib(rss),
    ]);
  }
  return rows;
}

/**
 * Run `work(i)` for i in [from, to), two at a time, with progress now and then. The first
 * failure stops both workers, and it is thrown only once neither runs any more: nothing may
 * be started after the caller's cleanup.
 */
async function inParallel(from, to, what, work) {
  let next = from;
  let done = 0;
  let stop = false;
  const started = Date.now();
  const worker = async () => {
    while (!stop && next < to) {
      const i = next++;
      try {
        await work(i);
      } catch (e) {
        stop = true;
        throw e;
      }
      done += 1;
      if (done % 100 === 0) progress(`${what}: ${from + done}/${to}`);
    }
  };
  const failure = (await Promise.allSettled([worker(), worker()])).find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return (Date.now() - started) / 1000;
}

async function zoneScale(ctx, form) {
  const levels = ctx.quick ? [0, 20, 100] : [0, 100, 1000];
  if (levels.at(-1) > MAX_ATTACHMENTS) throw new BenchError(`a bridge cannot take ${levels.at(-1)} attachments`);
  say(`### zone + zone-ipam ADD / DEL with ${levels.join(', ')} attachments in the zone\n`);
  const filledHost = createNetns('sfill');
  const emptyHost = createNetns('sempty');
  const filledStore = tempDir('scale-fill');
  const emptyStore = tempDir('scale-empty');
  const fillers = [];
  const cancelFillers = onCleanup(() => removeNetnsMany(fillers));
  try {
    const filledConf = zoneConf({ network: 'scale', subnet: '10.70.0.0/16', dataDir: filledStore.path });
    const emptyConf = zoneConf({ network: 'scale', subnet: '10.70.0.0/16', dataDir: emptyStore.path });
    const executable = `${form.dir}/zone`;
    const path = `${form.dir}:${REFERENCE.dir}`;
    const unit = (key, host, conf, level) => ({
      key,
      run: (round) =>
        attachCycle({
          label: `zone at ${level} (${key})`,
          executable,
          conf,
          host,
          containerId: `bench-${key}-${level}-${round}`,
          path,
          peak: key === 'filled' ? { what: 'zone', form: form.form, where: `zone + zone-ipam with ${level} attachments` } : undefined,
        }),
    });
    // The bridge and the table exist before level 0 in both.
    unit('filled', filledHost, filledConf, 'warm').run('warm');
    unit('empty', emptyHost, emptyConf, 'warm').run('warm');

    const samplesAt = new Map();
    const notes = [];
    let attached = 0;
    for (const level of levels) {
      if (level > attached) {
        progress(`scale: filling the zone to ${level} attachments`);
        const stdin = JSON.stringify(filledConf);
        const seconds = await inParallel(attached, level, 'scale: attachments', async (i) => {
          const slot = Math.floor(i / PER_FILL_NETNS);
          if (!fillers[slot]) {
            fillers[slot] = createNetns('fill');
            fillers[slot].detachCleanup();
          }
          const env = cniEnv('ADD', { containerId: `fill-${i}`, netns: fillers[slot].path, ifname: `eth${i % PER_FILL_NETNS}`, path });
          await runAsync({ label: `fill ADD ${i}`, argv: [executable], env, stdin, ns: filledHost });
          await tick();
        });
        notes.push(`${attached} → ${level} in ${seconds.toFixed(0)} s`);
        attached = level;
      }
      progress(`scale: ${roundsOf(ctx)} rounds at ${level} attachments`);
      const samples = await interleave(roundsOf(ctx), [
        unit('filled', filledHost, filledConf, level),
        unit('empty', emptyHost, emptyConf, level),
      ]);
      samplesAt.set(level, samples);
    }
    const rows = levelRows(levels, samplesAt, ctx.results.scale, 'zone');
    say(
      table(
        [
          'attachments in the zone',
          '>ADD median ms',
          '>ADD, empty zone',
          '>ADD × 0',
          '>DEL median ms',
          '>DEL, empty zone',
          '>DEL × 0',
          '>peak RSS MiB',
        ],
        rows,
      ),
    );
    say(
      `\n${roundsOf(ctx)} rounds per level, ${form.label} \`zone\`, each ADD + DEL in a fresh container namespace; the fill: ADDs of the same plugin, two at a time, each attachment with its own container ID and veth on the bridge, ${PER_FILL_NETNS} of them per container namespace (eth0 … eth${PER_FILL_NETNS - 1}) (${notes.join(', ')}).` +
        ' "× 0" is the median of the per-round ratios against the empty zone in the other host namespace, run in alternation with the filled one.',
    );
  } finally {
    removeNetnsMany(fillers);
    cancelFillers();
    filledHost.remove();
    emptyHost.remove();
    filledStore.remove();
    emptyStore.remove();
  }
}

async function portsScale(ctx, form) {
  const levels = ctx.quick ? [0, 200, 1000] : [0, 1000, 10000];
  const chunk = 1000;
  say(`### zone-ports ADD / DEL (2 mappings) with ${levels.join(', ')} mappings in our table\n`);
  const filled = portsWorld('sp');
  const empty = portsWorld('se');
  const state = tempDir('scale-ports');
  try {
    const executable = `${form.dir}/zone-ports`;
    const path = `${form.dir}:${REFERENCE.dir}`;
    const unit = (key, world, level) => {
      const conf = chainedConf({
        type: 'zone-ports',
        network: 'scalep',
        mappings: twoMappings(8080),
        prevResult: world.prevResult(),
        extra: { portsStateDir: `${state.path}/${key}`, localhost: 'ipv4' },
      });
      return {
        key,
        run: (round) =>
          portsCycle({
            label: `zone-ports at ${level} (${key})`,
            executable,
            conf,
            world,
            containerId: `bench-${key}-${level}-${round}`,
            path,
            peak:
              key === 'filled' ? { what: 'zone-ports', form: form.form, where: `zone-ports with ${level} mappings installed` } : undefined,
          }),
      };
    };
    unit('filled', filled, 'warm').run('warm');
    unit('empty', empty, 'warm').run('warm');

    const samplesAt = new Map();
    const fills = [];
    let installed = 0;
    let container = 0;
    for (const level of levels) {
      while (installed < level) {
        // Few large ADDs: one container with up to 1000 mappings each, as a runtime would send them.
        const count = Math.min(chunk, level - installed);
        const mappings = Array.from({ length: count }, (_, j) => ({ hostPort: 20000 + installed + j, containerPort: 80, protocol: 'tcp' }));
        const conf = chainedConf({
          type: 'zone-ports',
          network: 'scalep',
          mappings,
          prevResult: filled.prevResult(`10.88.${1 + container}.2/16`),
          // 127.0.0.1 without [::1]: this section measures the nft table, not a proxy per port.
          extra: { portsStateDir: `${state.path}/filled`, localhost: 'ipv4' },
        });
        progress(`scale: ADD of ${count} mappings (${installed} installed)`);
        const sample = measure({
          label: `zone-ports fill ADD (${count} mappings)`,
          argv: [executable],
          env: cniEnv('ADD', { containerId: `fill-${container}`, netns: filled.ct.path, path }),
          stdin: JSON.stringify(conf),
          ns: filled.host,
        });
        notePeak({ what: 'zone-ports', form: form.form, where: `fill ADD of ${count} mappings` }, sample);
        fills.push(sample);
        installed += count;
        container += 1;
        await tick();
      }
      progress(`scale: ${roundsOf(ctx)} rounds at ${level} mappings`);
      samplesAt.set(level, await interleave(roundsOf(ctx), [unit('filled', filled, level), unit('empty', empty, level)]));
    }
    const rows = levelRows(levels, samplesAt, ctx.results.scale, 'ports');
    say(
      table(
        [
          'mappings in the table',
          '>ADD median ms',
          '>ADD, empty table',
          '>ADD × 0',
          '>DEL median ms',
          '>DEL, empty table',
          '>DEL × 0',
          '>peak RSS MiB',
        ],
        rows,
      ),
    );
    const fillMs = fills.map((s) => s.wall);
    say(
      `\n${roundsOf(ctx)} rounds per level, ${form.label} \`zone-ports\`, one attachment's 2 mappings added and deleted (with its record, as after a normal ADD; localhost "ipv4": the table, not a [::1] proxy per port, is measured).` +
        (fills.length
          ? ` The fill: ${fills.length} ADDs of up to ${chunk} mappings each, median ${ms(median(fillMs))} ms, max ${ms(Math.max(...fillMs))} ms, peak RSS ${mib(peakMiB(fills))} MiB.`
          : ''),
    );
  } finally {
    filled.remove();
    empty.remove();
    state.remove();
  }
}

export async function scaleSection(ctx) {
  say('## 5. Scale\n');
  const form = FORMS[0];
  const blocker = formBlocker(form, ['zone', 'zone-ports']);
  if (blocker) throw new BenchError(blocker);
  let failed;
  for (const part of [zoneScale, portsScale]) {
    try {
      await part(ctx, form);
    } catch (e) {
      // One part failing still lets the other run; the section reports it.
      failed ??= e;
      ctx.fail(`scale, ${part === zoneScale ? 'attachments' : 'mappings'}: ${e instanceof Error ? e.message : e}`);
    }
    say('');
  }
  if (failed && !(failed instanceof BenchError)) progress(failed.stack ?? String(failed));
}
