import type {Config} from '../config/schema.js'

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

/** First path segment → route, with the configured command segments. */
export function routeTable(commands: Config['commands']): Map<string, RouteName> {
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
export function describeRoutes(commands: Config['commands']): string[] {
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
