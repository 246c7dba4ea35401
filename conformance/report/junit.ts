// JUnit XML (`--junit FILE`) for CI systems: one testsuite per profile, one testcase per case.
// Failures and errors carry the level and reason; n/a and expected failures are skipped; an
// unexpected pass is a pass with a note (the profile's expectation is stale).
import type { CaseResult } from '../case.js';
import type { ProfileReport } from '../runner.js';

export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot hold at all.
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function testcase(suite: string, r: CaseResult): string {
  const open = `    <testcase classname="${escapeXml(`${suite}.${r.area}`)}" name="${escapeXml(r.id)}" time="${(r.durationMs / 1000).toFixed(3)}">`;
  const message = escapeXml(`${r.level} (${r.clause}): ${r.reason}`);
  switch (r.status) {
    case 'fail':
      return `${open}\n      <failure type="${r.level}" message="${message}">${escapeXml(r.title)}</failure>\n    </testcase>`;
    case 'error':
      return `${open}\n      <error type="error" message="${message}">${escapeXml(r.title)}</error>\n    </testcase>`;
    case 'xpass':
      return `${open}\n      <system-out>${escapeXml(r.reason)}</system-out>\n    </testcase>`;
    case 'n/a':
    case 'xfail':
      return `${open}\n      <skipped message="${escapeXml(`${r.status}: ${r.reason}`)}"/>\n    </testcase>`;
    default:
      return `${open}</testcase>`;
  }
}

export function formatJunit(reports: readonly ProfileReport[]): string {
  const suites = reports.map((report) => {
    const s = report.summary.byStatus;
    const attrs = [
      `name="${escapeXml(report.profile.name)}"`,
      `tests="${report.results.length}"`,
      `failures="${s.fail}"`,
      `errors="${s.error}"`,
      `skipped="${s['n/a'] + s.xfail}"`,
      `time="${(report.durationMs / 1000).toFixed(3)}"`,
      `timestamp="${report.startedAt}"`,
    ].join(' ');
    return `  <testsuite ${attrs}>\n${report.results.map((r) => testcase(report.profile.name, r)).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cni-conformance">\n${suites.join('\n')}\n</testsuites>\n`;
}
