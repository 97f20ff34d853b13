/**
 * Runs `work` over `items` with at most `concurrency` calls in flight, and stops taking new
 * items once `keepGoing()` says no. Resolves when every started call has settled.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  keepGoing: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && keepGoing()) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
