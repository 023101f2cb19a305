import type { Logger } from 'pino'
import type { FerryHooks, HookEvents, HookName } from './types.js'

/** Runs every hook registered for an event, in order. Several hook sets combine into one. */
export function combineHooks(...sets: (FerryHooks | undefined)[]): FerryHooks {
  const combined: FerryHooks = {}
  const names = new Set(sets.flatMap((set) => Object.keys(set ?? {}) as HookName[]))
  for (const name of names) {
    const handlers = sets.map((set) => set?.[name]).filter((handler) => handler !== undefined)
    combined[name] = (async (payload: never) => {
      for (const handler of handlers) await (handler as (payload: never) => unknown)(payload)
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
