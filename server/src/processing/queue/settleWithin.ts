/**
 * Waits for `promises` to settle or for `ms` to pass, whichever is first; never rejects. The timer
 * is unref'd: a grace period alone is no reason to keep the process alive.
 * @example
 * await settleWithin([...running], 10_000)
 */
export async function settleWithin(
  promises: Iterable<Promise<unknown>>,
  ms: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms).unref()
  })
  await Promise.race([Promise.allSettled(promises), elapsed])
  clearTimeout(timer)
}
