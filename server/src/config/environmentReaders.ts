export type Environment = Record<string, string | undefined>

export type EnvironmentReaders = ReturnType<typeof createReaders>

/**
 * Typed readers of environment variables. A bad value adds one line to `problems` naming the
 * variable and returns the fallback, so every mistake is reported in one go.
 */
export function createReaders(env: Environment, problems: string[]) {
  const optional = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  return {
    optional,
    string: (name: string, fallback: string) => optional(name) ?? fallback,
    required(name: string, when: string): string {
      const value = optional(name)
      if (value === undefined) problems.push(`${name} is required ${when}`)
      return value ?? ''
    },
    integer(name: string, fallback: number, range: { min?: number; max?: number }): number {
      const value = optional(name)
      if (value === undefined) return fallback
      const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN
      const { min = 0, max = Number.MAX_SAFE_INTEGER } = range
      if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        problems.push(`${name} must be a whole number from ${min} to ${max}, got "${value}"`)
        return fallback
      }
      return parsed
    },
    boolean(name: string, fallback: boolean): boolean {
      const value = optional(name)?.toLowerCase()
      if (value === undefined) return fallback
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off'].includes(value)) return false
      problems.push(`${name} must be true or false, got "${env[name]}"`)
      return fallback
    },
    list(name: string, fallback: string[]): string[] {
      const value = optional(name)
      if (value === undefined) return fallback
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    },
    number(name: string, fallback: number, range: { min: number; max: number }): number {
      const value = optional(name)
      if (value === undefined) return fallback
      const parsed = Number(value)
      if (!Number.isFinite(parsed) || parsed < range.min || parsed > range.max) {
        problems.push(`${name} must be a number from ${range.min} to ${range.max}, got "${value}"`)
        return fallback
      }
      return parsed
    },
    problem: (line: string) => problems.push(line),
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const value = optional(name)
      if (value === undefined) return fallback
      if ((allowed as readonly string[]).includes(value)) return value as T
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`)
      return fallback
    },
  }
}
