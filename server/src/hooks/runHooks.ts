import type { Logger } from 'pino'
import type { FerryHooks, HookEvents, HookName } from './types.js'

/**
 * Several hook sets as one, each event's hooks run in the order of the sets. A `pre-*` hook that
 * throws refuses the upload, so the ones after it do not run; every `post-*` hook runs whatever
 * the others do (one set's failure must not cost another its event), and the first failure is
 * passed on to be logged.
 */
export function combineHooks(...sets: (FerryHooks | undefined)[]): FerryHooks {
  const combined: FerryHooks = {}
  const names = new Set(sets.flatMap((set) => Object.keys(set ?? {}) as HookName[]))
  for (const name of names) {
    const handlers = sets.map((set) => set?.[name]).filter((handler) => handler !== undefined) as ((payload: never) => unknown)[]
    combined[name] = (async (payload: never) => {
      if (name.startsWith('pre-')) {
        for (const handler of handlers) await handler(payload)
        return
      }
      const failed: unknown[] = []
      for (const handler of handlers) {
        try {
          await handler(payload)
        } catch (error) {
          failed.push(error)
        }
      }
      if (failed.length > 0) throw failed[0]
    }) as never
  }
  return combined
}

/** A `post-*` hook: awaited, but a failure is logged and never reaches the client or the upload. */
export async function runPostHook<Name extends HookName>(
  hooks: FerryHooks,
  name: Name,
  payload: HookEvents[Name],
  logger: Logger,
): Promise<void> {
  const handler = hooks[name] as ((payload: HookEvents[Name]) => unknown) | undefined
  if (!handler) return
  try {
    await handler(payload)
  } catch (error) {
    logger.error({ err: error, hook: name }, 'hook failed')
  }
}
