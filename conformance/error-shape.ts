// How a failing plugin run must look (SPEC §2 "Errors", §5 "Error"): a non-zero exit, and on
// stdout one JSON object with cniVersion, code, msg (and details). The cases ask two things
// of it: the code (a well-known one for well-known conditions) and the structure.
import { describeOutcome, type ProcessOutcome } from './process.js';

export interface ErrorObject {
  cniVersion?: unknown;
  code?: unknown;
  msg?: unknown;
  details?: unknown;
}

/** stdout as one JSON object, or undefined. */
export function stdoutObject(outcome: ProcessOutcome): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(outcome.stdout);
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Why `outcome` is not a failure carrying error `code` (and naming `mentions` in msg or details), or undefined. */
export function errorCodeProblem(outcome: ProcessOutcome, code: number, mentions: readonly string[] = []): string | undefined {
  if (outcome.failure || outcome.timedOut || outcome.exitCode === undefined) return describeOutcome(outcome);
  if (outcome.exitCode === 0) return `succeeded (exit 0) where it must fail with code ${code}`;
  const json = stdoutObject(outcome) as ErrorObject | undefined;
  if (!json)
    return `exit ${outcome.exitCode} without an error object on stdout${outcome.stderr.trim() ? ` (stderr: ${outcome.stderr.trim().slice(0, 200)})` : ''}`;
  if (json.code !== code) return `code ${JSON.stringify(json.code)} instead of ${code} (${String(json.msg ?? '')})`;
  const text = `${String(json.msg ?? '')} ${String(json.details ?? '')}`;
  const missing = mentions.filter((m) => !text.includes(m));
  if (missing.length) return `code ${code}, but the message does not name ${missing.join(', ')}: "${String(json.msg ?? '')}"`;
  return undefined;
}

/** Why a failing run's output is not the spec's error structure, or undefined. */
export function errorStructureProblem(outcome: ProcessOutcome): string | undefined {
  if (outcome.exitCode === 0) return 'exit 0 for a failure';
  if (outcome.exitCode === undefined) return describeOutcome(outcome);
  const json = stdoutObject(outcome);
  if (!json) return `stdout is not one JSON object: ${JSON.stringify(outcome.stdout.slice(0, 120))}`;
  const missing: string[] = [];
  if (typeof json.cniVersion !== 'string' || json.cniVersion === '') missing.push('cniVersion');
  if (typeof json.code !== 'number' || !Number.isInteger(json.code)) missing.push('code');
  if (typeof json.msg !== 'string' || json.msg === '') missing.push('msg');
  if (json.details !== undefined && typeof json.details !== 'string') missing.push('details (not a string)');
  return missing.length ? `error object lacks ${missing.join(', ')}: ${JSON.stringify(json).slice(0, 160)}` : undefined;
}

/** Why a run is not a plain failure (non-zero exit), or undefined. */
export function failureProblem(outcome: ProcessOutcome): string | undefined {
  if (outcome.failure || outcome.timedOut) return describeOutcome(outcome);
  return outcome.exitCode === 0 ? 'succeeded (exit 0) where it must fail' : undefined;
}
