// A small report for the formatter tests.
import type { CaseResult } from '../../../conformance/case.js';
import { summarize, type ProfileReport } from '../../../conformance/runner.js';

export function sampleResults(): CaseResult[] {
  const base = { durationMs: 120 };
  return [
    {
      ...base,
      id: 'version.echo',
      area: 'version',
      title: 'VERSION echoes',
      clause: 'SPEC §5 "VERSION Success"',
      level: 'MUST',
      status: 'pass',
      reason: '',
    },
    {
      ...base,
      id: 'del.idempotent',
      area: 'del',
      title: 'DEL twice',
      clause: 'SPEC §2 "DEL"',
      level: 'MUST',
      status: 'fail',
      reason: 'second DEL failed: code 100 <"&">',
    },
    {
      ...base,
      id: 'gc.releases-stale',
      area: 'gc',
      title: 'GC releases',
      clause: 'SPEC §2 "GC"',
      level: 'SHOULD',
      status: 'n/a',
      reason: 'GC exists from 1.1.0 on',
    },
    {
      ...base,
      id: 'capabilities.portMappings',
      area: 'capabilities',
      title: 'ports | mapped',
      clause: 'CONVENTIONS',
      level: 'SHOULD',
      status: 'xfail',
      reason: 'expected to fail (wip): no answer',
    },
  ];
}

export function sampleReport(name = 'sample', results: CaseResult[] = sampleResults()): ProfileReport {
  return {
    profile: {
      name,
      title: name === 'sample' ? 'Sample set' : `Set ${name}`,
      description: 'A set for tests.',
      source: `conformance/profiles/${name}.json`,
      pluginDirs: ['/opt/cni/bin'],
      claims: { versions: ['1.0.0'], capabilities: ['portMappings'] },
      notes: ['No GC: the set is older than 1.1.0.'],
    },
    startedAt: '2024-01-02T03:04:05.000Z',
    durationMs: 1500,
    warnings: ['plugin "x" is missing'],
    results,
    summary: summarize(results),
  };
}
