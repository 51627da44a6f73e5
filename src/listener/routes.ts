import type {ListenerSettings} from './settings.js'
import {ConfigError} from '../errors.js'
import {CALL_EVENT_TYPES} from '../engine/call.js'

import {ACTION_COMMANDS} from './settings.js'

/**
 * The routes whose first path segment comes from config (`commands.*`), the Enreach "command segments", and the
 * in-call actions beside them.
 */
export const COMMAND_ROUTES = ['make', 'answer', 'end', ...ACTION_COMMANDS] as const
export type CommandRoute = (typeof COMMAND_ROUTES)[number]

export type RouteName = CommandRoute | 'index' | 'status' | 'history' | 'events' | 'notify' | 'popup'

/** Commands take GET so that a plain link or `curl URL` works, as in Enreach. */
const COMMAND_METHODS: readonly string[] = ['GET', 'POST']

/** Methods each route takes. */
export const ROUTE_METHODS: Record<RouteName, readonly string[]> = {
  ...(Object.fromEntries(COMMAND_ROUTES.map((route) => [route, COMMAND_METHODS])) as Record<
    CommandRoute,
    readonly string[]
  >),
  index: ['GET'],
  status: ['GET'],
  history: ['GET'],
  events: ['GET'],
  notify: ['GET', 'POST'],
  popup: ['POST'],
}

/** Segments of the listener's own routes: a command segment may not take one of them. */
const FIXED_SEGMENTS = ['status', 'history', 'events', 'notify', 'popup']

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
    throw new ConfigError(problem, [
      `Change it with callctl config set commands.<${COMMAND_ROUTES.join('|')}> <segment>`,
    ])
  return new Map<string, RouteName>([
    ['', 'index'],
    ...COMMAND_ROUTES.map((route) => [commands[route], route] as const),
    ['status', 'status'],
    ['history', 'history'],
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
    `/${commands.reject}`,
    `/${commands.hold}`,
    `/${commands.resume}`,
    `/${commands.transfer}/<number>`,
    `/${commands.dtmf}/<digits>`,
    `/${commands.mute}`,
    `/${commands.unmute}`,
    '/status',
    '/history',
    '/events',
    `/notify/<${CALL_EVENT_TYPES.join('|')}>`,
    '/popup',
  ]
}
