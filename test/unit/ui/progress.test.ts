import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {isInteractive} from '../../../src/context.ts'
import {runTaskList, withSpinner} from '../../../src/ui/progress.ts'
import {captureIo} from '../../helpers/fake-context.ts'

const ansi = /\u001b\[/

describe('interactive output rules (DESIGN.md Progress)', () => {
  it('animates only on a TTY with no CI, no NO_COLOR and a real TERM', () => {
    assert.equal(isInteractive({isTTY: true}, {TERM: 'xterm-256color'}), true)
    assert.equal(isInteractive({isTTY: false}, {TERM: 'xterm-256color'}), false)
    assert.equal(isInteractive({isTTY: true}, {CI: 'true'}), false)
    assert.equal(isInteractive({isTTY: true}, {CI: '1'}), false)
    assert.equal(isInteractive({isTTY: true}, {CI: 'false'}), true)
    assert.equal(isInteractive({isTTY: true}, {NO_COLOR: '1'}), false)
    assert.equal(isInteractive({isTTY: true}, {NO_COLOR: ''}), true, 'NO_COLOR set to empty does not count (no-color.org)')
    assert.equal(isInteractive({isTTY: true}, {TERM: 'dumb'}), false)
  })
})

describe('task lists without a TTY', () => {
  it('run in order and print plain lines on stderr, nothing on stdout, no escape codes', async () => {
    const io = captureIo()
    const order: string[] = []
    await runTaskList(
      io,
      [
        {title: 'set weights 90/10', run: async () => void order.push('weights')},
        {title: 'wait 1m', run: async (_ctx, update) => (order.push('wait'), update('waited 1m'))},
        {title: 'evaluate gates', skip: () => 'no gates', run: async () => void order.push('gates')},
      ],
      {},
    )
    assert.deepEqual(order, ['weights', 'wait'])
    assert.equal(io.out(), '')
    assert.equal(io.err(), '* set weights 90/10\nv set weights 90/10\n* wait 1m\n  waited 1m\nv waited 1m\n- evaluate gates (skipped: no gates)\n')
    assert.doesNotMatch(io.err(), ansi)
  })

  it('mark the failing task and stop there, passing the error on', async () => {
    const io = captureIo()
    let ranAfter = false
    await assert.rejects(
      runTaskList(
        io,
        [
          {title: 'apply', run: async () => Promise.reject(new Error('409 conflict'))},
          {title: 'after', run: async () => void (ranAfter = true)},
        ],
        {},
      ),
      /409 conflict/,
    )
    assert.equal(ranAfter, false)
    assert.equal(io.err(), '* apply\nx apply\n')
  })

  it('a spinner is one plain line', async () => {
    const io = captureIo()
    assert.equal(await withSpinner(io, 'waiting for the sandbox', async () => 42), 42)
    assert.equal(io.err(), 'waiting for the sandbox...\n')
  })
})
