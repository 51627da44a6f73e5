import {type Infer, s} from '../config/schema.js'
import type {Capability, Driver, DriverContext} from '../engine/driver.js'
import {ConfigError, DriverError} from '../errors.js'
import {type Argv, launch, urlOpener} from '../os/launch.js'
import {defineDriver} from './driver-module.js'
import {checkPlaceholders, fillPlaceholders} from './placeholders.js'

const settings = s.object({
  /** What is opened: `tel:{NUMBER}`, `sip:{NUMBER}@example.com`, `callto:{NUMBER}`, ... */
  template: s.string({pattern: '^[A-Za-z][A-Za-z0-9+.-]*:', default: 'tel:{NUMBER}', description: 'e.g. tel:{NUMBER}'}),
})

export type UriSettings = Infer<typeof settings>

/** A template that does not put the number anywhere would open the same URI for every call. */
function checkTemplate(template: string): void {
  checkPlaceholders(template, 'driver.uri.template')
  if (!template.includes('{NUMBER}'))
    throw new ConfigError(`driver.uri.template must contain {NUMBER} (got ${JSON.stringify(template)})`)
}

/** The scheme whose handler the driver hands calls to: `tel` for `tel:{NUMBER}`. */
export const handoffScheme = (template: string): string => template.slice(0, template.indexOf(':')).toLowerCase()

/** The scheme the configured driver hands calls to, when it is the uri driver; undefined for any other driver. */
export function handsOffTo(driver: {name: string; uri: UriSettings}): string | undefined {
  return driver.name === 'uri' ? handoffScheme(driver.uri.template) : undefined
}

export const uriDriver = defineDriver({
  name: 'uri',
  settings,
  checks: {template: (value) => checkTemplate(value as string)},
  // The call belongs to the app the URI opened: callctl can start it, nothing more.
  capabilities: ['make'],
  create: (context: DriverContext<UriSettings>) => createUriDriver(context),
})

/**
 * Hands the number to the OS's default phone app (FaceTime/Skype/Teams/a softphone registered for tel:). callctl
 * cannot see that call afterwards: it reports `outgoing`, then `end` with the reason that it was handed off.
 */
export function createUriDriver(
  {reporter, settings}: DriverContext<UriSettings>,
  open: (argv: Argv) => Promise<void> = launch,
): Driver {
  const {template} = settings
  checkTemplate(template)
  if (!/^[a-z][a-z0-9+.-]*:/i.test(template)) {
    throw new DriverError(
      'uri',
      `driver.uri.template must start with a URI scheme such as tel: (got ${JSON.stringify(template)})`,
    )
  }

  const scheme = handoffScheme(template)
  const unsupported = (what: string) =>
    new DriverError('uri', `cannot ${what} calls: the ${scheme}: handler owns the call once it is handed over`, {
      code: 'ERR_NOT_SUPPORTED',
      status: 501,
    })
  return {
    name: 'uri',
    capabilities: new Set<Capability>(['make']),

    async make(number) {
      // Numbers are digits, +, * and #: only # would end the URI early.
      const uri = fillPlaceholders(template, {NUMBER: number, NAME: '', CALLID: ''}, (value) =>
        value.replaceAll('#', '%23'),
      )
      try {
        await open(urlOpener(uri))
      } catch (error) {
        throw new DriverError('uri', `cannot open ${uri}: ${(error as Error).message}`, {cause: error})
      }

      const call = reporter.outgoing({number})
      return reporter.ended(call.id, `handed off to the ${scheme}: handler`)
    },

    async answer() {
      throw unsupported('answer')
    },

    async end() {
      throw unsupported('end')
    },
  }
}
