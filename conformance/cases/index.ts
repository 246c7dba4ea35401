// Every case, in report order.
import type { ConformanceCase } from '../case.js';
import { addCases } from './add.js';
import { capabilityCases } from './capabilities.js';
import { chainCases } from './chain.js';
import { checkCases } from './check.js';
import { cleanupCases } from './cleanup.js';
import { concurrencyCases } from './concurrency.js';
import { configCases } from './config.js';
import { delCases } from './del.js';
import { envCases } from './env.js';
import { errorCases } from './errors.js';
import { gcCases } from './gc.js';
import { outputCases } from './output.js';
import { resultCases } from './result.js';
import { statusCases } from './status.js';
import { versionCases } from './version.js';

export const ALL_CASES: readonly ConformanceCase[] = [
  ...versionCases,
  ...envCases,
  ...configCases,
  ...addCases,
  ...resultCases,
  ...chainCases,
  ...checkCases,
  ...delCases,
  ...gcCases,
  ...statusCases,
  ...capabilityCases,
  ...outputCases,
  ...errorCases,
  ...concurrencyCases,
  ...cleanupCases,
];
