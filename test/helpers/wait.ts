/** Polls until `condition` holds: for what another process does in its own time. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const sleep = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
