// 4. The full chain through a real runtime: a container joins and leaves with 2 published ports.
// Ours: one `zone` plugin (zone-ipam in-process, the portMappings capability, so it publishes
// the ports itself). Reference: bridge + host-local + portmap. The runtime (libcni, see
// driver.mjs) runs inside our host namespace, as it would on a host, and each ADD + DEL
// happens in a fresh container namespace.
import { writeFileSync } from 'node:fs';
import {
  BenchError,
  cpus,
  createNetns,
  inNs,
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
import { prepareDriver } from './driver.mjs';
import { bridgeConf, FORMS, formBlocker, REFERENCE, referenceBlocker, twoMappings, zoneConf } from './plugins.mjs';

function conflists(prefix, dir, forms, store) {
  const chains = forms.map((form, i) => {
    const network = `${prefix}${form.form}`;
    const { cniVersion, name, ...plugin } = zoneConf({
      network,
      subnet: `10.${91 + i}.0.0/16`,
      dataDir: store,
      extra: { zone: `chain${form.form[0]}`, portsStateDir: `${store}/ports-${form.form}`, capabilities: { portMappings: true } },
    });
    return {
      key: form.form,
      form,
      network,
      list: { cniVersion, name, plugins: [plugin] },
      path: `${form.dir}:${REFERENCE.dir}`,
      mappings: twoMappings(8080 + i),
      label: 'zone (+ zone-ipam, ports)',
    };
  });
  const network = `${prefix}reference`;
  const { cniVersion, name, ...bridge } = bridgeConf({ network, bridge: 'br-chain', subnet: '10.90.0.0/16', dataDir: store });
  chains.push({
    key: 'ref',
    form: REFERENCE,
    network,
    list: { cniVersion, name, plugins: [bridge, { type: 'portmap', capabilities: { portMappings: true } }] },
    path: REFERENCE.dir,
    mappings: twoMappings(8090),
    label: 'bridge + host-local + portmap',
  });
  for (const chain of chains) writeFileSync(`${dir}/${chain.network}.conflist`, JSON.stringify(chain.list, null, 2));
  return chains;
}

/** The ports really are published after ADD: otherwise the comparison would be meaningless. */
function checkPublished(chain, host) {
  const port = String(chain.mappings[0].hostPort);
  const listing =
    chain.key === 'ref' ? inNs(host, 'iptables-save', ['-t', 'nat']) : inNs(host, 'nft', ['list', 'table', 'inet', 'cni_zones']);
  if (!listing.includes(port))
    throw new BenchError(
      `${chain.label} (${chain.form.label}): after ADD, host port ${port} is not in the ${chain.key === 'ref' ? 'nat table' : 'cni_zones table'}`,
    );
}

export async function chainSection(ctx) {
  say('## 4. Full chain through a runtime: ADD + DEL with 2 published ports\n');
  const refBlocker = referenceBlocker(['bridge', 'host-local', 'portmap']);
  if (refBlocker) throw new BenchError(refBlocker);
  const forms = FORMS.filter((form) => {
    const blocker = formBlocker(form, ['zone']);
    if (blocker) ctx.fail(`full chain, ${form.label}: ${blocker}`);
    return !blocker;
  });
  const prefix = `czb-${process.pid}-`;
  const driver = await prepareDriver(ctx.driver, prefix);
  ctx.results.chain.driver = driver.label;
  say(`Runtime: **${driver.label}**.\n`);
  const confDir = tempDir('netconf');
  const store = tempDir('chain');
  const host = createNetns('chost');
  const anchors = [];
  try {
    const chains = conflists(prefix, confDir.path, forms, store.path);
    const cycle = (chain, _round, check) => {
      const ct = createNetns('ct');
      try {
        const env = {
          NETCONFPATH: confDir.path,
          CNI_PATH: chain.path,
          CAP_ARGS: JSON.stringify({ portMappings: chain.mappings }),
          ...driver.env,
        };
        const label = `${driver.kind} ${chain.label} (${chain.form.label})`;
        const add = measure({ label: `${label} add`, argv: [...driver.argv, 'add', chain.network, ct.path], env, ns: host });
        if (check) checkPublished(chain, host);
        const del = measure({ label: `${label} del`, argv: [...driver.argv, 'del', chain.network, ct.path], env, ns: host });
        const peak = { what: `chain: ${driver.kind} + ${chain.label}`, form: chain.form.form, kind: 'chain' };
        notePeak({ ...peak, where: `${driver.kind} add` }, add);
        notePeak({ ...peak, where: `${driver.kind} del` }, del);
        return { add, del, cycle: { wall: add.wall + del.wall, cpu: add.cpu + del.cpu, rssKiB: Math.max(add.rssKiB, del.rssKiB) } };
      } finally {
        ct.remove();
      }
    };
    // One member without ports stays in each network while the rounds run: a round is a
    // container joining a running zone (bridge, isolation, name server there), as the
    // reference's bridge stays up between rounds.
    const anchor = (chain) => {
      const ct = createNetns('anchor');
      const env = { NETCONFPATH: confDir.path, CNI_PATH: chain.path, CAP_ARGS: '{}', ...driver.env };
      measure({ label: `${chain.label} anchor add`, argv: [...driver.argv, 'add', chain.network, ct.path], env, ns: host });
      return () => {
        measure({ label: `${chain.label} anchor del`, argv: [...driver.argv, 'del', chain.network, ct.path], env, ns: host });
        ct.remove();
      };
    };
    progress('chain: warm-up');
    anchors.push(...chains.map(anchor));
    for (const chain of chains) cycle(chain, 'warm', true);
    progress(`chain: ${ctx.runs} rounds`);
    const samples = await interleave(
      ctx.runs,
      chains.map((chain) => ({ key: chain.key, run: (round) => cycle(chain, round, false) })),
    );

    const rows = [];
    const ref = chains.at(-1);
    for (const [step, title] of [
      ['add', 'ADD'],
      ['del', 'DEL'],
      ['cycle', 'ADD + DEL'],
    ]) {
      const refSamples = samples.ref.map((s) => s[step]);
      for (const chain of chains) {
        const ours = samples[chain.key].map((s) => s[step]);
        const r = chain === ref ? 1 : pairedRatio(walls(ours), walls(refSamples));
        if (step === 'cycle' && chain !== ref) ctx.results.chain[chain.key] = r;
        rows.push([
          `${title} ${chain.label}`,
          chain.form.label,
          ms(median(walls(ours))),
          ms(p90(walls(ours))),
          ms(median(cpus(ours))),
          ratio(r),
          mib(peakMiB(ours)),
        ]);
      }
    }
    say(
      table(['chain', 'form', '>median ms', '>p90 ms', '>median CPU ms', '>× reference chain', '>peak RSS MiB (runtime + plugins)'], rows),
    );
    say(
      `\n${ctx.runs} rounds of \`${driver.kind === 'libcni' ? 'libcni-driver' : 'runtime-driver'} add\` then \`del\` per chain, each in a fresh container namespace, beside one member without ports that stays (a zone that runs), the runtime started by \`nsenter --net=<host namespace>\`;` +
        ` CAP_ARGS = 2 tcp portMappings; the times include the runtime's own start and work, the same for both chains.` +
        ' The first ADD of each chain (bridge, tables) is not counted; after it, the bench checked that the ports were published.',
    );
  } finally {
    for (const remove of anchors) remove();
    host.remove();
    driver.remove();
    store.remove();
    confDir.remove();
  }
}
