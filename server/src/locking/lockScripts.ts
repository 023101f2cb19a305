import { defineRedisScript } from './redisScript.js'

/**
 * Takes the lock if it is free. KEYS[1] the lock, ARGV[1] this request's token, ARGV[2] the
 * lease in ms. Returns `{1}` when taken, else `{0, holder's token, ms left on its lease}`, so a
 * waiter learns in one round trip whom to ask to let go and when the lease would run out.
 */
export const acquireLock = defineRedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
`)

/** Extends the lease while the token still holds the lock; 1 if it did, 0 if the lock was lost. */
export const renewLock = defineRedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

/**
 * Deletes the lock only if the token still holds it (an expired lease may have passed it on),
 * and announces the release on ARGV[2] with message ARGV[3] so waiters wake without polling.
 */
export const releaseLock = defineRedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)
