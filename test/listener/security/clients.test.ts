import {execa} from 'execa'

import {runCli} from '../../helpers/cli.js'
import {useListener} from '../../helpers/listener-process.js'

/** The legitimate clients of the README keep working with the security policy on (real processes). */
describe('legitimate clients pass the security policy', () => {
  const token = 'a-token-for-the-tests-0123456789'
  const running = useListener({'sim.answerAfterMs': '-1', 'security.token': token})

  test('curl, as the README and the wrappers call it', async () => {
    const made = await execa('curl', [
      '-sS',
      '--fail-with-body',
      '--max-time',
      '5',
      '-H',
      `Authorization: Bearer ${token}`,
      `${running.listener.url}/make/%2B31201234567`,
    ])
    expect(JSON.parse(made.stdout).call).toMatchObject({number: '+31201234567', state: 'dialing'})
    const ended = await execa('curl', ['-sS', '--max-time', '5', `${running.listener.url}/end?token=${token}`])
    expect(JSON.parse(ended.stdout).call.state).toBe('ended')
  })

  test('a CRM server posting a notification with X-Callctl-Token', async () => {
    const response = await fetch(`${running.listener.url}/notify/incoming`, {
      method: 'POST',
      headers: {'x-callctl-token': token, 'content-type': 'application/json', 'user-agent': 'crm-server/1.0'},
      body: JSON.stringify({number: '0612345678', name: 'Alice'}),
    })
    expect(response.status).toBe(200)
    expect((await runCli(['end', '--port', String(running.listener.port)], running.configDir)).exitCode).toBe(0)
  })

  test('curl without the token is refused, with the reason', async () => {
    const refused = await execa('curl', ['-sS', '--max-time', '5', `${running.listener.url}/make/1`])
    expect(JSON.parse(refused.stdout).error.code).toBe('ERR_TOKEN')
  })
})
