// The terminal report: one row per case (case, clause, level, result, reason), then a summary.
import type { CaseResult, Status } from '../case.js';
import type { ProfileReport } from '../runner.js';

export const STATUS_LABEL: Record<Status, string> = {
  pass: 'pass',
  fail: 'FAIL',
  'n/a': 'n/a',
  xfail: 'xfail',
  xpass: 'XPASS',
  error: 'ERROR',
};

export interface TableOptions {
  /** Longest reason shown in a row (the JSON and JUnit reports carry them whole). */
  reasonWidth?: number;
}

function shorten(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** Rows as fixed-width text columns; the last column is not padded. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function summaryLine(report: ProfileReport): string {
  const s = report.summary;
  const counts = (Object.entries(s.byStatus) as [Status, number][])
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${STATUS_LABEL[status]}`);
  return `${report.profile.name}: ${s.total} cases: ${counts.join(', ')}; MUST ${s.passRate.MUST} %, SHOULD ${s.passRate.SHOULD} % passed; ${s.blocking} blocking (${(report.durationMs / 1000).toFixed(1)} s)`;
}

export function formatTable(report: ProfileReport, options: TableOptions = {}): string {
  const width = options.reasonWidth ?? 140;
  const header = ['CASE', 'CLAUSE', 'LEVEL', 'RESULT', 'REASON'];
  const rows = report.results.map((r: CaseResult) => [r.id, r.clause, r.level, STATUS_LABEL[r.status], shorten(r.reason, width)]);
  const lines = [`# ${report.profile.title} (${report.profile.pluginDirs.join(', ')})`];
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(formatColumns([header, ...rows]), summaryLine(report));
  return lines.join('\n');
}
