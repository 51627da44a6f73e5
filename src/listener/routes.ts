import type {ListenerSettings} from './settings.js'
import {ConfigError} from '../errors.js'

export type RouteName = 'index' | 'make' | 'answer' | 'end' | 'status' | 'events' | 'notify' | 'popup'

/** The routes whose first path segment comes from config (`commands.*`), the Enreach "command segments". */
export const COMMAND_ROUTES = ['make', 'answer', 'end'] as const

/** Methods each route takes. Commands take GET so that a plain link or `curl URL` works, as in Enreach. */
export const ROUTE_METHODS: Record<RouteName, readonly string[]> = {
  index: ['GET'],
  make: ['GET', 'POST'],
  answer: ['GET', 'POST'],
  end: ['GET', 'POST'],
  status: ['GET'],
  events: ['GET'],
  notify: ['GET', 'POST'],
  popup: ['POST'],
}

/** Segments of the listener's own routes: a command segment may not take one of them. */
const FIXED_SEGMENTS = ['status', 'events', 'notify', 'popup']

/** Why these command segments cannot work together (two commands on one segment, or a built-in route), if so. */
export function commandSegmentProblem(commands: ListenerSettings['commands']): string | undefined {
  const entries = COMMAND_ROUTES.map((route) => [route, commands[route]] as const)
  for (const [route, segment] of entries) {
    if (FIXED_SEGMENTS.includes(segment))
      return `commands.${route} cannot be "${segment}": /${segment} is a built-in route`
    const other = entries.find(([otherRoute, otherSegment]) => otherRoute !== route && otherSegment === segment)
    if (other)
      return `commands.${route} and commands.${other[0]} are both "${segment}": each command needs its own segment`
  }

  return undefined
}

/** First path segment → route, with the configured command segments. */
export function routeTable(commands: ListenerSettings['commands']): Map<string, RouteName> {
  const problem = commandSegmentProblem(commands)
  if (problem)
    throw new ConfigError(problem, ['Change it with callctl config set commands.<make|answer|end> <segment>'])
  return new Map<string, RouteName>([
    ['', 'index'],
    [commands.make, 'make'],
    [commands.answer, 'answer'],
    [commands.end, 'end'],
    ['status', 'status'],
    ['events', 'events'],
    ['notify', 'notify'],
    ['popup', 'popup'],
  ])
}

/** What a user can call, for 404 answers: `/make/<number>, /answer, ...`. */
export function describeRoutes(commands: ListenerSettings['commands']): string[] {
  return [
    `/${commands.make}/<number>`,
    `/${commands.answer}`,
    `/${commands.end}`,
    '/status',
    '/events',
    '/notify/<incoming|outgoing|active|updated|end>',
    '/popup',
  ]
}
