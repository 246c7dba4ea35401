// 1. Start-up: CNI_COMMAND=VERSION of every plugin in both forms beside the reference plugin of
// the same job and a bare `node -e 0`, all in the same rounds. VERSION touches no network, so it
// runs where the bench runs (no namespace needed).
import {
  BenchError,
  interleave,
  measure,
  median,
  mib,
  ms,
  notePeak,
  p90,
  pairedRatio,
  peakMiB,
  ratio,
  say,
  table,
  walls,
} from './core.mjs';
import { FORMS, formBlocker, REFERENCE, referenceBlocker } from './plugins.mjs';

const VERSION_STDIN = '{"cniVersion":"1.0.0"}';
const PAIRS = [
  ['zone', 'bridge'],
  ['zone-ipam', 'host-local'],
  ['zone-ports', 'portmap'],
];

function versionUnit(key, argv, peak) {
  return {
    key,
    run: () => {
      const sample = measure({ label: `${key} VERSION`, argv, env: { CNI_COMMAND: 'VERSION' }, stdin: VERSION_STDIN });
      if (peak) notePeak({ ...peak, where: 'VERSION' }, sample);
      return sample;
    },
  };
}

function checkVersionOutput(unit) {
  const { stdout } = unit.run(-1);
  let json;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new BenchError(`${unit.key} VERSION printed no JSON: ${stdout.slice(0, 200)}`);
  }
  if (!Array.isArray(json.supportedVersions)) throw new BenchError(`${unit.key} VERSION: no supportedVersions in ${stdout.slice(0, 200)}`);
}

export async function versionSection(ctx) {
  say('## 1. Start-up: VERSION\n');
  const forms = FORMS.filter((form) => {
    const blocker = formBlocker(form);
    if (blocker) ctx.fail(`VERSION, ${form.label}: ${blocker}`);
    return !blocker;
  });
  const referenceMissing = referenceBlocker(PAIRS.map(([, ref]) => ref));
  if (referenceMissing) throw new BenchError(referenceMissing);

  const units = [versionUnit('node', [process.execPath, '-e', '0'])];
  for (const [ours, ref] of PAIRS) {
    units.push(versionUnit(ref, [`${REFERENCE.dir}/${ref}`], { what: ref, form: REFERENCE.form }));
    for (const form of forms) units.push(versionUnit(`${ours}.${form.form}`, [`${form.dir}/${ours}`], { what: ours, form: form.form }));
  }
  // One unmeasured start each: the files are in the page cache for every round alike.
  for (const unit of units.slice(1)) checkVersionOutput(unit);
  const samples = await interleave(ctx.runs, units);

  const node = walls(samples.node);
  const rows = [];
  for (const [ours, ref] of PAIRS) {
    const refWalls = walls(samples[ref]);
    for (const form of forms) {
      const s = samples[`${ours}.${form.form}`];
      const vsRef = pairedRatio(walls(s), refWalls);
      rows.push([
        `\`${ours}\``,
        form.label,
        ms(median(walls(s))),
        ms(p90(walls(s))),
        ref,
        ratio(vsRef),
        ratio(pairedRatio(walls(s), node)),
        mib(peakMiB(s)),
      ]);
      if (ours === 'zone') ctx.results.version[form.form] = vsRef;
    }
    rows.push([
      `\`${ref}\``,
      REFERENCE.label,
      ms(median(refWalls)),
      ms(p90(refWalls)),
      '',
      '',
      ratio(pairedRatio(refWalls, node)),
      mib(peakMiB(samples[ref])),
    ]);
  }
  rows.push(['`node -e 0`', 'bare Node start', ms(median(node)), ms(p90(node)), '', '', ratio(1), mib(peakMiB(samples.node))]);
  say(table(['executable', 'form', '>median ms', '>p90 ms', 'reference', '>× reference', '>× node -e 0', '>peak RSS MiB'], rows));
  say(
    `\n${ctx.runs} rounds; each round starts every row once (order reversed every other round); ratios are medians of the per-round ratios.`,
  );
}
