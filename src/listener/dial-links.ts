import type {ListenerSettings} from './settings.js'
import {isDialLink, parseDialLink} from '../dialing/link.js'
import type {RequestStep} from './app.js'

/**
 * `/make/tel:+4930123`, `/make/callto://+4930123`, `?number=sip:+4930123@pbx`: a CRM that puts its phone link into the
 * make URL. Rewritten to the plain number before routing, so that the security policy, its confirmation page and
 * the number lists see the number that is dialled. An `;ext=` becomes `?ext=`: `/make` keys it in after answer.
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

      if (isDialLink(raw)) {
        const target = parseDialLink(raw)
        url.pathname = `${prefix}${encodeURIComponent(target.number)}`
        if (target.ext) url.searchParams.set('ext', target.ext)
      }
    }

    const number = url.searchParams.get('number')
    if (number !== null && isDialLink(number.trim())) {
      const target = parseDialLink(number)
      url.searchParams.set('number', target.number)
      if (target.ext) url.searchParams.set('ext', target.ext)
    }
  }
}
