/**
 * Waits for an asynchronous outcome (a job, a callback) by asking again until `fn` stops throwing, and returns
 * what it returned. At the deadline the last failure is thrown, so a test fails with the real assertion message.
 * The wait is never itself the assertion: it only bounds how long the hub may take.
 */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() >= deadline) {
        if (e instanceof Error) e.message = `still failing after ${timeoutMs} ms: ${e.message}`;
        throw e;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
