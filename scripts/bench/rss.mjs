// 9. Peak RSS: the largest max-RSS of every plugin, per form, over every call the bench made.
import { mib, peakEntries, say, table } from './core.mjs';

const FORM_ORDER = ['compiled', 'node', 'reference', 'driver'];
const FORM_LABEL = { compiled: 'compiled', node: 'Node bundle', reference: 'reference (Go)' };

export function rssSection(ctx) {
  say('## 9. Peak RSS per plugin and form\n');
  const entries = peakEntries().sort(
    (a, b) =>
      (a.kind === b.kind ? 0 : a.kind === 'plugin' ? -1 : 1) ||
      a.what.localeCompare(b.what) ||
      FORM_ORDER.indexOf(a.form) - FORM_ORDER.indexOf(b.form),
  );
  if (entries.length === 0) return void say('nothing was measured');
  const rows = entries.map((e) => [
    e.kind === 'plugin' ? `\`${e.what}\`` : e.what,
    FORM_LABEL[e.form] ?? e.form,
    String(e.calls),
    mib(e.peakKiB / 1024),
    e.where,
  ]);
  say(table(['plugin', 'form', '>calls', '>peak RSS MiB', 'largest in'], rows));
  say(
    '\nMax RSS from wait4 (/usr/bin/time %M): of the plugin and the children it waited for (host-local under bridge); a chain row is the runtime and every plugin it ran, the largest of them.\n',
  );
  for (const form of ['compiled', 'node', 'reference']) {
    const plugin = entries.filter((e) => e.kind === 'plugin' && e.form === form);
    if (plugin.length === 0) continue;
    const top = plugin.reduce((a, b) => (b.peakKiB > a.peakKiB ? b : a));
    ctx.results.rss[form] = { mib: top.peakKiB / 1024, where: `${top.what}, ${top.where}` };
  }
}
