// The machine-readable report (`--json`): every profile's results with full reasons.
import type { ProfileReport } from '../runner.js';

export const SPEC_VERSION = '1.1.0';

export function formatJson(reports: readonly ProfileReport[]): string {
  return `${JSON.stringify({ spec: `CNI SPEC.md ${SPEC_VERSION}`, profiles: reports }, null, 2)}\n`;
}
