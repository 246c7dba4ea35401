// Steps that must all be tried: the undo of a failed ADD and the teardown of a DEL. Each runs
// even when one before it failed, and every failure is kept, so nothing is left behind that
// could have been removed and no error hides another.
import { asCniError, CniError } from '../cni/errors.js';

export type Step = () => Promise<unknown>;

/** Run every step in order; the failures, in the order they happened. */
export async function runAll(steps: readonly Step[]): Promise<CniError[]> {
  const failures: CniError[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      failures.push(asCniError(e));
    }
  }
  return failures;
}

/** The first failure's code; every failure in the text, so none is lost. */
export function combined(failures: readonly CniError[], what: string): CniError {
  const [first] = failures as [CniError, ...CniError[]];
  if (failures.length === 1) return first;
  const details = failures.map(describe).join('; ');
  return new CniError(first.code, `${failures.length} steps of ${what} failed, the first: ${first.message}`, details);
}

/** The error a runtime must see, with the undo steps that failed after it beside it. */
export function withUndoFailures(error: CniError, failures: readonly CniError[]): CniError {
  if (failures.length === 0) return error;
  const undo = failures.map((f) => `rollback step failed: ${describe(f)}`);
  return new CniError(error.code, error.message, [error.details, ...undo].filter(Boolean).join('; '));
}

function describe(failure: CniError): string {
  return failure.details ? `${failure.message} (${failure.details})` : failure.message;
}
