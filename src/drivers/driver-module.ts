import type {Node} from '../config/schema.js'
import type {Capability, Driver, DriverContext, DriverReachability} from '../engine/driver.js'

/** What `callctl doctor` says about a driver's setup. */
export interface DriverCheck {
  verdict: 'ok' | 'warn' | 'fail'
  message: string
  fix?: string
}

/**
 * A phone backend as the rest of callctl sees it: its name, its settings (`driver.<name>`, schema and defaults in
 * one), what doctor checks, and how to make one. A new driver is one file exporting this, plus one line in
 * src/drivers/registry.ts. Keep the module's top level cheap: every command that reads the config imports it, so
 * heavy code (sockets, child processes) is imported inside `create` or `check`.
 */
export interface DriverModule<Name extends string = string, Settings extends object = object> {
  name: Name
  settings: Node<Settings, true>
  /**
   * What the driver can do at most, for the README and for the 501 a driver without a capability answers ("drivers
   * that can: ..."). The running driver's own set (`Driver.capabilities`) may be smaller, e.g. per its settings.
   */
  capabilities: readonly Capability[]
  /** When the running driver's set depends on its settings: how to get them, e.g. "driver.command.<action> set". */
  capabilitiesNote?: string
  /** Checks the schema cannot express, by setting under `driver.<name>` (run by `config set` and `doctor`): throw the problem. */
  checks?: Record<string, (value: unknown) => void>
  /**
   * How the setup looks from here, for `callctl doctor` (e.g. the program is on the PATH, the socket answers).
   * `running` is what the running listener reports about this driver, when one runs with it.
   */
  check?(settings: Settings, listening: boolean, running?: DriverReachability): DriverCheck | Promise<DriverCheck>
  create(context: DriverContext<Settings>): Driver | Promise<Driver>
}

export function defineDriver<const Name extends string, Settings extends object>(
  module: DriverModule<Name, Settings>,
): DriverModule<Name, Settings> {
  return module
}
