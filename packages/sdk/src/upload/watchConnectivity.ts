/**
 * Calls `onOffline` and `onOnline` as the browser loses and regains its network, in a page or a
 * Worker; does nothing where there are no such events (Node). Returns the unsubscribe function.
 */
export function watchConnectivity(onOffline: () => void, onOnline: () => void): () => void {
  const target = globalThis as Partial<Pick<typeof globalThis, 'addEventListener' | 'removeEventListener'>>
  if (typeof target.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') {
    return () => {}
  }
  target.addEventListener('offline', onOffline)
  target.addEventListener('online', onOnline)
  return () => {
    target.removeEventListener?.('offline', onOffline)
    target.removeEventListener?.('online', onOnline)
  }
}

/** False only when the runtime says so; unknown counts as online. */
export function isOnline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false
}
