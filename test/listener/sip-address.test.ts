import {setConfig} from '../helpers/config.js'
import {type ListenerProcess, startListenerProcess} from '../helpers/listener-process.js'
import {tempConfigDir} from '../helpers/paths.js'
import {rawRequest} from '../helpers/raw-request.js'

interface Answer {
  ok: boolean
  error?: {code: string; message: string}
  call?: {number: string}
}

describe('/make with a SIP address (real listener process)', () => {
  let configDir: string
  let listener: ListenerProcess

  beforeAll(async () => {
    configDir = tempConfigDir()
    await setConfig(configDir, {
      'numbers.block': JSON.stringify(['@blocked.example', 'sip:mallory@pbx.example.com']),
    })
    listener = await startListenerProcess(configDir)
  })
  afterAll(async () => listener?.stop())

  const make = async (path: string) => {
    const response = await rawRequest(`${listener.url}${path}`, {method: 'POST'})
    return {status: response.status, body: response.json() as Answer}
  }

  const calls = async () => ((await rawRequest(`${listener.url}/status`)).json() as {calls: unknown[]}).calls

  test('the sim cannot dial it: 501 naming the drivers that can (baresip; none for sips:), nothing dialled', async () => {
    for (const path of [
      `/make/${encodeURIComponent('sip:alice@pbx.example.com')}`,
      '/make/sip:alice@pbx.example.com',
      `/make?number=${encodeURIComponent('sips:alice@pbx.example.com:5061;transport=tls')}`,
    ]) {
      const {status, body} = await make(path)
      expect({path, status}).toEqual({path, status: 501})
      // No driver dials sips: (baresip 1.0 would call another address): baresip is not named for it.
      expect(body.error).toMatchObject(
        path.includes('sips')
          ? {
              code: 'ERR_NOT_SUPPORTED',
              message: '[driver:sim] this driver cannot dial SIP addresses, and no driver dials sips: ones',
              hints: ['Dial its sip: form if a call without TLS will do'],
            }
          : {
              code: 'ERR_NOT_SUPPORTED',
              message: expect.stringMatching(/cannot dial SIP addresses .*; drivers that can: baresip$/),
            },
      )
    }

    expect(await calls()).toEqual([])
  })

  test('numbers.block refuses a blocked address (403) before the driver is asked', async () => {
    for (const address of ['sip:anyone@BLOCKED.example:5080', 'sips:mallory@pbx.example.com;transport=tcp']) {
      const {status, body} = await make(`/make/${encodeURIComponent(address)}`)
      expect({address, status, code: body.error?.code}).toEqual({address, status: 403, code: 'ERR_NUMBER_BLOCKED'})
    }
  })

  test.each([
    ['a CR LF and a second ctrl_tcp command', 'sip:alice@pbx.example.com\r\n33:{"command":"quit","params":""},'],
    ['a NUL', 'sip:alice\u0000@pbx.example.com'],
    ['an encoded NUL', 'sip:alice%00@pbx.example.com'],
    ['an encoded line break', 'sip:alice%0D%0AVia:x@pbx.example.com'],
    ['a quote', 'sip:al"ice@pbx.example.com'],
    ['a space', 'sip:alice smith@pbx.example.com'],
    ['a header', 'sip:alice@pbx.example.com?Subject=x'],
    ['maddr', 'sip:alice@pbx.example.com;maddr=blocked.example'],
    ['a password', 'sip:alice:pw@pbx.example.com'],
    ['no host', 'sip:alice'],
    ['a bad host', 'sip:alice@pbx..example.com'],
    ['a 10 kB user', `sip:${'a'.repeat(10_000)}@pbx.example.com`],
    ['a direction override', 'sip:alice\u202E@pbx.example.com'],
  ])('%s: 400 ERR_INVALID_LINK, the listener lives on', async (_, address) => {
    for (const path of [`/make/${encodeURIComponent(address)}`, `/make?number=${encodeURIComponent(address)}`]) {
      const {status, body} = await make(path)
      expect({path, status, code: body.error?.code}).toEqual({path, status: 400, code: 'ERR_INVALID_LINK'})
      // The message quotes the address escaped and cut: no raw control character comes back.
      // eslint-disable-next-line no-control-regex -- control characters are what must not come back
      expect(body.error!.message).not.toMatch(/[\u0000-\u001F\u202E]/)
      expect(body.error!.message.length).toBeLessThan(1000)
    }

    expect((await rawRequest(`${listener.url}/status`)).status).toBe(200)
    expect(await calls()).toEqual([])
    expect(() => process.kill(listener.process.pid!, 0)).not.toThrow()
  })
})
