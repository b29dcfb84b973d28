import {test} from 'node:test'
import assert from 'node:assert/strict'
import {unifiedDiff} from '../../../src/ui/line-diff.ts'

const labels = {from: 'live', to: 'scaffold'}

test('no difference, no output', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', labels), '')
})

test('a changed line shows as - then +, with context and a hunk header like diff -u', () => {
  assert.equal(unifiedDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\ne\n', labels), '--- live\n+++ scaffold\n@@ -1,4 +1,5 @@\n a\n-b\n+B\n c\n d\n+e\n')
})

test('a new object is all additions', () => {
  assert.equal(unifiedDiff('', 'x\ny\n', labels), '--- live\n+++ scaffold\n@@ -0,0 +1,2 @@\n+x\n+y\n')
})

test('changes far apart get separate hunks', () => {
  const before = Array.from({length: 20}, (_, i) => `line${i}`).join('\n')
  const after = before.replace('line1\n', 'LINE1\n').replace('line18', 'LINE18')
  const hunks = unifiedDiff(before, after, labels).split('\n').filter((l) => l.startsWith('@@'))
  assert.deepEqual(hunks, ['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@'])
})
