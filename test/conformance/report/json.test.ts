import { describe, expect, it } from 'vitest';
import { formatJson } from '../../../conformance/report/json.js';
import { sampleReport } from './sample.js';

describe('formatJson', () => {
  it('carries every profile with full reasons', () => {
    const parsed = JSON.parse(formatJson([sampleReport()])) as { spec: string; profiles: { results: { reason: string }[] }[] };
    expect(parsed.spec).toBe('CNI SPEC.md 1.1.0');
    expect(parsed.profiles[0]?.results[1]?.reason).toBe('second DEL failed: code 100 <"&">');
  });
});
