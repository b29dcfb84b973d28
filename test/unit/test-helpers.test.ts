import assert from 'node:assert/strict'
import {it} from 'node:test'
import {skipUnlessInstalled} from '../helpers/paths.ts'

it('a suite whose binary is missing skips on a laptop and fails in CI', () => {
  assert.equal(skipUnlessInstalled('/nonexistent/prometheus', 'prometheus', {}), 'prometheus not installed at /nonexistent/prometheus')
  assert.equal(skipUnlessInstalled(undefined, 'prometheus', {}), 'prometheus not installed')
  assert.throws(() => skipUnlessInstalled('/nonexistent/prometheus', 'prometheus', {CI: 'true'}), /prometheus not installed at \/nonexistent\/prometheus: CI must run this suite/)
  assert.equal(skipUnlessInstalled(process.execPath, 'node', {CI: 'true'}), false)
})
