// CNI spec versions this project speaks, and how to compare them.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const CURRENT_VERSION: CniVersion = '1.1.0';

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

function parts(v: string): number[] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`malformed CNI version "${v}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function isWellFormedVersion(v: string): boolean {
  return /^\d+\.\d+\.\d+$/.test(v);
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

/** Results of 0.3.0–0.4.0 carry `ips[].version`; 1.x results do not. */
export function isLegacyResultVersion(v: string): boolean {
  return compareVersions(v, '1.0.0') < 0;
}
