// 10. The targets, each with the figure this run measured: met, not met, or not measured.
// Information, not a verdict on the run: a missed target never changes the exit code.
import { mib, ratio, say, table } from './core.mjs';

const RSS_LIMIT_MIB = 30e6 / (1 << 20); // 30 MB = 28.6 MiB
const FLAT = 0.15;
const DNS_LOCAL_MS = 5;
const LABEL = { compiled: 'compiled', node: 'Node bundle' };

export function targetsSection(ctx) {
  const { version, attach, chain, scale, dns, rss } = ctx.results;
  const rows = [];
  const row = (target, form, figure, met) =>
    rows.push([target, form, figure, met === undefined ? 'not measured' : met ? '**met**' : '**not met**']);
  const atMost = (value, limit) => (Number.isFinite(value) ? value <= limit : undefined);

  for (const form of ['compiled', 'node'])
    row('`zone` VERSION ≤ 1.5× bridge', LABEL[form], ratio(version[form]), atMost(version[form], 1.5));
  for (const form of ['compiled', 'node'])
    row('zone + zone-ipam ADD ≤ 1.0× bridge + host-local', LABEL[form], ratio(attach.add[form]), atMost(attach.add[form], 1.0));
  for (const form of ['compiled', 'node'])
    row('zone + zone-ipam DEL ≤ 1.0× bridge + host-local', LABEL[form], ratio(attach.del[form]), atMost(attach.del[form], 1.0));
  for (const form of ['compiled', 'node'])
    row('full chain ADD + DEL ≤ 0.4× bridge + host-local + portmap', LABEL[form], ratio(chain[form]), atMost(chain[form], 0.4));
  for (const form of ['compiled', 'node']) {
    const peak = rss[form];
    row(
      `peak RSS ≤ 30 MB (${RSS_LIMIT_MIB.toFixed(1)} MiB) for any plugin call`,
      LABEL[form],
      peak ? `${mib(peak.mib)} MiB (${peak.where})` : 'n/a',
      peak ? peak.mib <= RSS_LIMIT_MIB : undefined,
    );
  }
  const zone = scale.zone;
  const flatLabel = (step) => `zone + zone-ipam ${step} flat within ±15 % from 0 to 1000 attachments`;
  for (const step of ['add', 'del']) {
    const value = zone?.[step];
    const partial = zone && zone.level < 1000 ? ` at ${zone.level} attachments only (--quick)` : '';
    row(
      flatLabel(step.toUpperCase()),
      LABEL.compiled,
      `${ratio(value)}${partial}`,
      Number.isFinite(value) ? Math.abs(value - 1) <= FLAT : undefined,
    );
  }

  for (const form of ['compiled', 'node']) {
    const answers = dns[form];
    row(
      `name server answers a local name within ${DNS_LOCAL_MS} ms (p99 per query)`,
      LABEL[form],
      answers ? `p99 ${answers.p99.toFixed(3)} ms, median ${answers.median.toFixed(3)} ms (${answers.queries} queries)` : 'n/a',
      answers ? answers.p99 <= DNS_LOCAL_MS : undefined,
    );
  }

  say('## 10. Targets\n');
  say(table(['target', 'form', 'measured', 'result'], rows));
  say(
    '\nRatios are medians of per-round ratios (sections 1, 2, 4, 5, 6, 7, 8); peak RSS counts direct plugin calls (section 9, chain rows excluded: they include the runtime).' +
      (chain.driver ? ` Full chain driven by ${chain.driver}.` : ''),
  );
}
