// Bounded waiting for a cluster to converge: every wait in the end-to-end suite ends, with the
// last failure in its message, so a broken flow fails the test instead of hanging it.

/** Polls `check` (every 200 ms) until it resolves; rejects with its last error after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
