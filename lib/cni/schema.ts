// Small helpers around zod/mini (the lean build: classic zod costs ~30 ms more per plugin start).
import type * as z from 'zod/mini';
import { CniError, type ErrorCodeValue } from './errors.js';

/** One line per issue, "path: problem", without zod's locale bundle. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      const expected = 'expected' in issue && issue.expected ? `expected ${String(issue.expected)}` : '';
      const what = issue.message && issue.message !== 'Invalid input' ? issue.message : expected || issue.code;
      return `${path}: ${what}`;
    })
    .join('; ');
}

/** Parse with a schema or throw a CniError with the given code naming what is wrong. */
export function parseOrThrow<T extends z.ZodMiniType>(schema: T, value: unknown, code: ErrorCodeValue, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CniError(code, `invalid ${what}`, describeIssues(parsed.error));
  return parsed.data;
}
