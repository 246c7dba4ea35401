// 3. Chained port publishing: zone-ports ADD / DEL beside the reference portmap ADD / DEL, both
// given a prevResult of a container on a bridge, as a runtime chains them after the main plugin.
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
import { cniEnv, FORMS, formBlocker, REFERENCE, referenceBlocker, twoMappings } from './plugins.mjs';

/**
 * A host namespace with a bridge 10.88.0.1/16 and one container namespace on it at
 * 10.88.0.2: what a main plugin would have made, so the chained plugins have real interfaces
 * and routes behind their prevResult.
 */
export function portsWorld(role) {
  const host = createNetns(`${role}host`);
  let ct;
  try {
    ct = createNetns(`${role}ct`);
    const ip = (...args) => inNs(host, 'ip', args);
    ip('link', 'add', 'vz-bench', 'type', 'bridge');
    ip('addr', 'add', '10.88.0.1/16', 'dev', 'vz-bench');
    ip('link', 'set', 'vz-bench', 'up');
    ip('link', 'add', 'vzbench0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ct.path);
    ip('link', 'set', 'vzbench0', 'master', 'vz-bench');
    ip('link', 'set', 'vzbench0', 'up');
    inNs(ct, 'ip', ['addr', 'add', '10.88.0.2/16', 'dev', 'eth0']);
    inNs(ct, 'ip', ['link', 'set', 'eth0', 'up']);
    inNs(host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  } catch (e) {
    ct?.remove();
    host.remove();
    throw e;
  }
  return {
    host,
    ct,
    prevResult: (address = '10.88.0.2/16') => ({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'vz-bench' }, { name: 'vzbench0' }, { name: 'eth0', sandbox: ct.path }],
      ips: [{ address, gateway: '10.88.0.1', interface: 2 }],
    }),
    remove() {
      ct.remove();
      host.remove();
    },
  };
}

/** A chained plugin's configuration as the runtime hands it over: runtimeConfig and prevResult injected. */
export function chainedConf({ type, network, mappings, prevResult, extra = {} }) {
  return { cniVersion: '1.0.0', name: network, type, ...extra, runtimeConfig: { portMappings: mappings }, prevResult };
}

/** ADD then DEL of one attachment's mappings; the DEL gets the same configuration (libcni passes the cached result). */
export function portsCycle({ label, executable, conf, world, containerId, path, peak }) {
  const stdin = JSON.stringify(conf);
  const env = (command) => cniEnv(command, { containerId, netns: world.ct.path, path });
  const add = measure({ label: `${label} ADD`, argv: [executable], env: env('ADD'), stdin, ns: world.host });
  const del = measure({ label: `${label} DEL`, argv: [executable], env: env('DEL'), stdin, ns: world.host });
  if (peak) {
    notePeak({ ...peak, where: `${peak.where} ADD` }, add);
    notePeak({ ...peak, where: `${peak.where} DEL` }, del);
  }
  return { add, del };
}

export async function portsSection(ctx) {
  say('## 3. zone-ports beside portmap: ADD and DEL (chained, 2 mappings)\n');
  const refBlocker = referenceBlocker(['portmap']);
  if (refBlocker) throw new BenchError(refBlocker);
  const forms = FORMS.filter((form) => {
    const blocker = formBlocker(form, ['zone-ports']);
    if (blocker) ctx.fail(`zone-ports ADD/DEL, ${form.label}: ${blocker}`);
    return !blocker;
  });
  const world = portsWorld('p');
  const state = tempDir('ports');
  try {
    // Each form twice: as configured by default (127.0.0.1 and a [::1] proxy per tcp mapping), and
    // with localhost "ipv4" (no proxy): the difference is what publishing [::1] costs.
    const variants = forms.flatMap((form, i) => [
      { form, key: form.form, label: form.label, base: 8080 + i, extra: {} },
      { form, key: `${form.form}-v4`, label: `${form.label}, localhost "ipv4"`, base: 8280 + i, extra: { localhost: 'ipv4' } },
    ]);
    const units = variants.map(({ form, key, label, base, extra }) => {
      const conf = chainedConf({
        type: 'zone-ports',
        network: 'benchp',
        mappings: twoMappings(base),
        prevResult: world.prevResult(),
        extra: { portsStateDir: `${state.path}/${key}`, ...extra },
      });
      return {
        key,
        run: (round) =>
          portsCycle({
            label: `zone-ports (${label})`,
            executable: `${form.dir}/zone-ports`,
            conf,
            world,
            containerId: `bench-${key}-${round}`,
            path: `${form.dir}:${REFERENCE.dir}`,
            peak: { what: 'zone-ports', form: form.form, where: key.endsWith('-v4') ? 'zone-ports, no [::1]' : 'zone-ports' },
          }),
      };
    });
    const refConf = chainedConf({ type: 'portmap', network: 'benchp', mappings: twoMappings(8090), prevResult: world.prevResult() });
    units.push({
      key: 'ref',
      run: (round) =>
        portsCycle({
          label: 'portmap',
          executable: `${REFERENCE.dir}/portmap`,
          conf: refConf,
          world,
          containerId: `bench-ref-${round}`,
          path: REFERENCE.dir,
          peak: { what: 'portmap', form: REFERENCE.form, where: 'portmap' },
        }),
    });
    // The first ADD declares zone-ports' table and portmap's chains: not what a container costs.
    progress('ports: warm-up');
    for (const unit of units) unit.run('warm');
    progress(`ports: ${ctx.runs} rounds`);
    const samples = await interleave(ctx.runs, units);

    const rows = [];
    for (const [step, title] of [
      ['add', 'ADD'],
      ['del', 'DEL'],
    ]) {
      const ref = samples.ref.map((s) => s[step]);
      for (const { key, label } of variants) {
        const ours = samples[key].map((s) => s[step]);
        rows.push([
          `${title} zone-ports`,
          label,
          ms(median(walls(ours))),
          ms(p90(walls(ours))),
          ms(median(cpus(ours))),
          ratio(pairedRatio(walls(ours), walls(ref))),
          mib(peakMiB(ours)),
        ]);
      }
      rows.push([
        `${title} portmap`,
        REFERENCE.label,
        ms(median(walls(ref))),
        ms(p90(walls(ref))),
        ms(median(cpus(ref))),
        ratio(1),
        mib(peakMiB(ref)),
      ]);
    }
    say(table(['call', 'form', '>median ms', '>p90 ms', '>median CPU ms', '>× portmap', '>peak RSS MiB'], rows));
    say(
      `\n${ctx.runs} rounds of ADD + DEL per row, 2 tcp mappings each (runtimeConfig.portMappings), after a prevResult of a container on a bridge;` +
        ' zone-ports writes its nft table (with localhost exposure) and, by default, starts a [::1] proxy per mapping (stopped by DEL);' +
        ' with localhost "ipv4" it publishes on 127.0.0.1 only, as portmap does; portmap writes its iptables chains (iptables-nft, snat on).',
    );
  } finally {
    world.remove();
    state.remove();
  }
}
