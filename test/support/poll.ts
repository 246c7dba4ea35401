// Waiting in end-to-end tests for something that happens asynchronously (networkd configuring a
// link, a machine booting): probe every 50 ms until the probe gives a value or the time is up.

/** The first value `probe` gives other than undefined; after `timeoutMs` an error naming `what` (and `diagnose`'s say). */
export async function poll<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  diagnose?: () => Promise<string>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}${diagnose ? `\n${await diagnose()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
