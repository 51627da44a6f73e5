/**
 * The drivers' names, in the order of src/drivers/registry.ts (a test holds the two together): the fast path of
 * bin/run.js checks `listen --driver` against them without loading every driver's settings.
 */
export const DRIVER_NAMES = ['sim', 'baresip', 'command', 'uri', 'applescript'] as const
