import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseErrorLine} from '../../../commands/base-command.ts'

describe('flag errors as one line', () => {
  it('keeps what oclif says about exclusive and dependent flags, drops its preamble and footer', () => {
    assert.equal(
      parseErrorLine('The following error occurred:\n  --b=2 cannot also be provided when using --a\nSee more help with --help'),
      '--b=2 cannot also be provided when using --a',
    )
    assert.equal(
      parseErrorLine('The following errors occurred:\n  All of the following must be provided when using --c: --a\n  --x is bad\nSee more help with --help'),
      'All of the following must be provided when using --c: --a; --x is bad',
    )
    assert.equal(parseErrorLine('Nonexistent flag: --zz\nSee more help with --help'), 'Nonexistent flag: --zz')
  })
})
