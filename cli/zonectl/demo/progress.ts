// Progress lines of the demo: each step announced, then its outcome and how long it took.
import type { Io } from '../io.js';

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export class Progress {
  #count = 0;

  constructor(private readonly io: Io) {}

  /** Run one step; its result's description (if any) is printed after "ok". */
  async step<T>(title: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T> {
    this.#count += 1;
    this.io.out(`[${this.#count}] ${title}\n`);
    const started = performance.now();
    try {
      const value = await fn();
      const detail = describe?.(value);
      this.io.out(`    ok (${seconds(performance.now() - started)})${detail ? `: ${detail}` : ''}\n`);
      return value;
    } catch (e) {
      this.io.out(`    FAILED (${seconds(performance.now() - started)}): ${(e as Error).message.split('\n')[0]}\n`);
      throw e;
    }
  }

  /** A cleanup step: a failure goes into `failures` instead of being thrown, so the steps after it still run. */
  async attempt<T>(failures: string[], title: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<void> {
    try {
      await this.step(title, fn, describe);
    } catch (e) {
      failures.push(`${title}: ${(e as Error).message}`);
    }
  }

  note(text: string): void {
    this.io.out(
      `${text
        .split('\n')
        .map((line) => (line ? `    ${line}` : ''))
        .join('\n')}\n`,
    );
  }
}

/** One demo from start to end: what it sets up and shows, then its teardown, whatever happened. */
export interface DemoStory {
  setUp(): Promise<void>;
  run(): Promise<void>;
  /** What could not be cleaned up. */
  tearDown(): Promise<string[]>;
  summary(failure: Error | undefined, cleanupFailures: readonly string[]): string;
}

/** Run `story`, always tear it down, print its summary; exit code 0 only when all went well. */
export async function runStory(io: Io, story: DemoStory): Promise<number> {
  let failure: Error | undefined;
  try {
    await story.setUp();
    await story.run();
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  const cleanupFailures = await story.tearDown();
  io.out(story.summary(failure, cleanupFailures));
  return failure || cleanupFailures.length ? 1 : 0;
}
