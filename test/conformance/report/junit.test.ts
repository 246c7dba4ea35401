import { describe, expect, it } from 'vitest';
import { escapeXml, formatJunit } from '../../../conformance/report/junit.js';
import { sampleReport } from './sample.js';

describe('escapeXml', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c'\u0001d`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
  });
});

describe('formatJunit', () => {
  it('writes one suite per profile with failures, skips and passes', () => {
    const xml = formatJunit([sampleReport(), sampleReport('other')]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cni-conformance">')).toBe(true);
    expect(xml).toContain(
      '<testsuite name="sample" tests="4" failures="1" errors="0" skipped="2" time="1.500" timestamp="2024-01-02T03:04:05.000Z">',
    );
    expect(xml).toContain('<testsuite name="other"');
    expect(xml).toContain('<testcase classname="sample.version" name="version.echo" time="0.120"></testcase>');
    expect(xml).toContain(
      '<failure type="MUST" message="MUST (SPEC §2 &quot;DEL&quot;): second DEL failed: code 100 &lt;&quot;&amp;&quot;&gt;">DEL twice</failure>',
    );
    expect(xml).toContain('<skipped message="n/a: GC exists from 1.1.0 on"/>');
    expect(xml).toContain('<skipped message="xfail: expected to fail (wip): no answer"/>');
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
  });
});
