import { ConfigError, loadConfig, type ServerConfig } from './loadConfig.js'

/** For the entry points: the validated configuration, or an exit with one line per bad variable. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): ServerConfig {
  try {
    return loadConfig(env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}
