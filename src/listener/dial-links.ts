import type {ListenerSettings} from './settings.js'
import {parseDialLink} from '../dialing/link.js'
import type {RequestStep} from './app.js'

const LINK = /^(tel|callto|sips?):/i

/**
 * `/make/tel:+4930123`, `/make/callto://+4930123`, `?number=sip:+4930123@pbx`: a CRM that puts its phone link into the
 * make URL. Rewritten to the plain number before routing, so that the security policy, its confirmation page and
 * the number lists see the number that is dialled. An `;ext=` is not kept here: the listener has no way yet to key
 * it in after answer (callctl dial warns about it).
 */
export function dialLinkStep(config: Pick<ListenerSettings, 'commands'>): RequestStep {
  const prefix = `/${config.commands.make}/`
  return ({url}) => {
    if (url.pathname.startsWith(prefix)) {
      let raw: string
      try {
        raw = decodeURIComponent(url.pathname.slice(prefix.length))
      } catch {
        return // pathSegments reports the broken encoding
      }

      if (LINK.test(raw)) url.pathname = `${prefix}${encodeURIComponent(parseDialLink(raw).number)}`
    }

    const number = url.searchParams.get('number')
    if (number !== null && LINK.test(number.trim())) url.searchParams.set('number', parseDialLink(number).number)
  }
}
