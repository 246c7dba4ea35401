// A network configuration list run plugin by plugin with every plugin's raw output kept: the
// runtime in lib/runtime hands on parsed, re-encoded results, which is right for a runtime
// but hides what a plugin actually printed. Cases that judge the output itself use this.
import { parseResult } from '../lib/cni/result.js';
import type { Result } from '../lib/cni/types.js';
import type { Attachment, CallOptions, CaseContext } from './context.js';
import { describeOutcome, type ProcessOutcome } from './process.js';

export interface ChainStep {
  type: string;
  stdin: string;
  outcome: ProcessOutcome;
  /** stdout as JSON, when it is JSON. */
  json?: unknown;
}

export interface ChainRun {
  steps: ChainStep[];
  /** Why the chain stopped, when it did. */
  failure?: string;
}

export interface ChainAdd extends ChainRun {
  /** The last plugin's output, raw. */
  output?: unknown;
  /** The same, read as a result. */
  result?: Result;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function step(
  ctx: CaseContext,
  att: Attachment,
  index: number,
  command: string,
  options: CallOptions,
  prevResult?: Result,
): Promise<ChainStep> {
  const type = ctx.network(options.version).plugins[index]?.type ?? '?';
  const stdin = ctx.attachmentStdin({ type, index, delegated: false }, { ...options, ...(prevResult && { prevResult }) });
  const outcome = await ctx.invoke(type, command, { attachment: att, stdin });
  return { type, stdin, outcome, json: parseJson(outcome.stdout) };
}

/** ADD through the chain; each plugin gets the previous one's result as prevResult. */
export async function addChain(ctx: CaseContext, att: Attachment, options: CallOptions = {}): Promise<ChainAdd> {
  const version = options.version ?? ctx.version;
  const count = ctx.network(version).plugins.length;
  const run: ChainAdd = { steps: [] };
  let prev: Result | undefined;
  for (let i = 0; i < count; i++) {
    const s = await step(ctx, att, i, 'ADD', { ...options, version }, prev);
    run.steps.push(s);
    if (s.outcome.exitCode !== 0) {
      run.failure = `ADD of ${s.type} failed: ${describeOutcome(s.outcome)}`;
      return run;
    }
    try {
      prev = parseResult(s.json ?? s.outcome.stdout, version);
    } catch (e) {
      run.failure = `ADD of ${s.type} printed no valid result: ${(e as Error).message} (${JSON.stringify(s.outcome.stdout.slice(0, 160))})`;
      return run;
    }
    run.output = s.json;
    run.result = prev;
  }
  return run;
}

async function eachPlugin(
  ctx: CaseContext,
  att: Attachment,
  command: 'DEL' | 'CHECK',
  options: CallOptions & { prevResult?: Result },
): Promise<ChainRun> {
  const version = options.version ?? ctx.version;
  const count = ctx.network(version).plugins.length;
  const order = [...Array(count).keys()];
  if (command === 'DEL') order.reverse();
  const run: ChainRun = { steps: [] };
  for (const i of order) {
    const s = await step(ctx, att, i, command, { ...options, version }, options.prevResult);
    run.steps.push(s);
    if (s.outcome.exitCode !== 0) {
      run.failure = `${command} of ${s.type} failed: ${describeOutcome(s.outcome)}`;
      return run;
    }
  }
  return run;
}

/** DEL through the chain in reverse; `prevResult` is the ADD's final result, or absent. */
export function delChain(ctx: CaseContext, att: Attachment, options: CallOptions & { prevResult?: Result } = {}): Promise<ChainRun> {
  return eachPlugin(ctx, att, 'DEL', options);
}

export function checkChain(ctx: CaseContext, att: Attachment, options: CallOptions & { prevResult: Result }): Promise<ChainRun> {
  return eachPlugin(ctx, att, 'CHECK', options);
}
