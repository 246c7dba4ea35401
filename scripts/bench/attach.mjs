// 2. One container joining and leaving a running zone: zone + zone-ipam (one process) ADD and DEL beside the
// reference bridge + host-local, each in a fresh container namespace, the plugins run by
// nsenter in a "host" namespace of ours, as a runtime in that namespace would run them.
import {
  BenchError,
  cpus,
  createNetns,
  interleave,
  measure,
  median,
  mib,
  ms,
  notePeak,
  p90,
  pairedRatio,
  peakMiB,
  progress,
  ratio,
  say,
  table,
  tempDir,
  walls,
} from './core.mjs';
import { bridgeConf, cniEnv, FORMS, formBlocker, REFERENCE, referenceBlocker, zoneConf } from './plugins.mjs';

/** One ADD and its DEL in a container namespace made for them. */
export function attachCycle({ label, executable, conf, host, containerId, path, peak }) {
  const ct = createNetns('ct');
  try {
    const stdin = JSON.stringify(conf);
    const env = (command) => cniEnv(command, { containerId, netns: ct.path, path });
    const add = measure({ label: `${label} ADD`, argv: [executable], env: env('ADD'), stdin, ns: host });
    const del = measure({ label: `${label} DEL`, argv: [executable], env: env('DEL'), stdin, ns: host });
    if (peak) {
      notePeak({ ...peak, where: `${peak.where} ADD` }, add);
      notePeak({ ...peak, where: `${peak.where} DEL` }, del);
    }
    return { add, del, cycle: { wall: add.wall + del.wall, cpu: add.cpu + del.cpu, rssKiB: Math.max(add.rssKiB, del.rssKiB) } };
  } finally {
    ct.remove();
  }
}

/**
 * A member that stays while the rounds run, so each round is a container joining a running zone
 * (the bridge, its isolation and name server already there), as most containers do; the
 * reference's bridge stays up between rounds too. Returns what takes it away again.
 */
export function anchorMember({ executable, conf, host, containerId, path }) {
  const ct = createNetns('anchor');
  const stdin = JSON.stringify(conf);
  const env = (command) => cniEnv(command, { containerId, netns: ct.path, path });
  measure({ label: `${containerId} ADD`, argv: [executable], env: env('ADD'), stdin, ns: host });
  return () => {
    measure({ label: `${containerId} DEL`, argv: [executable], env: env('DEL'), stdin, ns: host });
    ct.remove();
  };
}

export async function attachSection(ctx) {
  say('## 2. zone + zone-ipam beside bridge + host-local: ADD and DEL\n');
  const refBlocker = referenceBlocker(['bridge', 'host-local']);
  if (refBlocker) throw new BenchError(refBlocker);
  const forms = FORMS.filter((form) => {
    const blocker = formBlocker(form, ['zone']);
    if (blocker) ctx.fail(`zone ADD/DEL, ${form.label}: ${blocker}`);
    return !blocker;
  });
  const host = createNetns('ahost');
  const store = tempDir('attach');
  const anchors = [];
  try {
    const units = forms.map((form, i) => {
      const conf = zoneConf({ network: `bench${form.form[0]}`, subnet: `10.${81 + i}.0.0/16`, dataDir: store.path });
      const path = `${form.dir}:${REFERENCE.dir}`;
      return {
        key: form.form,
        run: (round) =>
          attachCycle({
            label: `zone (${form.label})`,
            executable: `${form.dir}/zone`,
            conf,
            host,
            containerId: `bench-${form.form}-${round}`,
            path,
            peak: { what: 'zone', form: form.form, where: 'zone + zone-ipam' },
          }),
      };
    });
    const refConf = bridgeConf({ network: 'benchref', bridge: 'br-bench', subnet: '10.80.0.0/16', dataDir: store.path });
    units.push({
      key: 'ref',
      run: (round) =>
        attachCycle({
          label: 'bridge',
          executable: `${REFERENCE.dir}/bridge`,
          conf: refConf,
          host,
          containerId: `bench-ref-${round}`,
          path: REFERENCE.dir,
          peak: { what: 'bridge', form: REFERENCE.form, where: 'bridge (+ host-local child)' },
        }),
    });
    // The first ADD of a network makes its bridge (and zone its nft table): not what a container costs.
    progress('attach: warm-up');
    anchors.push(
      ...forms.map((form, i) =>
        anchorMember({
          executable: `${form.dir}/zone`,
          conf: zoneConf({ network: `bench${form.form[0]}`, subnet: `10.${81 + i}.0.0/16`, dataDir: store.path }),
          host,
          containerId: `anchor-${form.form}`,
          path: `${form.dir}:${REFERENCE.dir}`,
        }),
      ),
      anchorMember({ executable: `${REFERENCE.dir}/bridge`, conf: refConf, host, containerId: 'anchor-ref', path: REFERENCE.dir }),
    );
    for (const unit of units) unit.run('warm');
    progress(`attach: ${ctx.runs} rounds`);
    const samples = await interleave(ctx.runs, units);

    const rows = [];
    for (const [step, title] of [
      ['add', 'ADD'],
      ['del', 'DEL'],
      ['cycle', 'ADD + DEL'],
    ]) {
      const ref = samples.ref.map((s) => s[step]);
      for (const form of forms) {
        const ours = samples[form.form].map((s) => s[step]);
        const r = pairedRatio(walls(ours), walls(ref));
        if (step !== 'cycle') ctx.results.attach[step][form.form] = r;
        rows.push([
          `${title} zone + zone-ipam`,
          form.label,
          ms(median(walls(ours))),
          ms(p90(walls(ours))),
          ms(median(cpus(ours))),
          ratio(r),
          mib(peakMiB(ours)),
        ]);
      }
      rows.push([
        `${title} bridge + host-local`,
        REFERENCE.label,
        ms(median(walls(ref))),
        ms(p90(walls(ref))),
        ms(median(cpus(ref))),
        ratio(1),
        mib(peakMiB(ref)),
      ]);
    }
    say(table(['call', 'form', '>median ms', '>p90 ms', '>median CPU ms', '>× bridge + host-local', '>peak RSS MiB'], rows));
    say(
      `\n${ctx.runs} rounds of one ADD + DEL per row, each in a fresh container namespace, the plugins started by \`nsenter --net=<host namespace>\`;` +
        ' `zone` with `backend: "netlink"`, `ipMasq` on both sides, zone isolation and the name server on (the defaults);' +
        ' each network keeps one other member (an anchor) while the rounds run, so a round is a container joining a running zone, not the first one (bridge, isolation, name server).' +
        ' CPU = user + system of the plugin and the children it waited for (host-local under bridge).',
    );
  } finally {
    for (const remove of anchors) remove();
    host.remove();
    store.remove();
  }
}
