/** The config commands' way to the file: the store over all of callctl's settings (src/settings.ts). */
export {openConfigStore} from '../settings.js'
export type {Config} from '../settings.js'
export type {ConfigStore} from '../config/store.js'
