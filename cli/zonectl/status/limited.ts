// Status runs plugin processes (CHECK) and pings (peers) for many items: a bounded number at a
// time, so a host with hundreds of attachments or peers is not handed hundreds of processes at once.

/** `fn` over `items`, at most `limit` at a time; the results in the order of `items`. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
