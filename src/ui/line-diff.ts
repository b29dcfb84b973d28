/** A unified diff of two texts by lines (LCS), with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, labels: {from: string; to: string}, context = 3): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n')
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n')
  // lengths[i][j] = LCS length of a[i..] and b[j..]
  const lengths: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!)
    }
  }
  const ops: {type: ' ' | '-' | '+'; text: string; aLine: number; bLine: number}[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({type: ' ', text: a[i++]!, aLine: i, bLine: ++j})
    else if (i < a.length && (j >= b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) ops.push({type: '-', text: a[i++]!, aLine: i, bLine: j})
    else ops.push({type: '+', text: b[j++]!, aLine: i, bLine: j})
  }
  if (!ops.some((op) => op.type !== ' ')) return ''
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`]
  let index = 0
  while (index < ops.length) {
    const firstChange = ops.findIndex((op, k) => k >= index && op.type !== ' ')
    if (firstChange < 0) break
    const start = Math.max(index, firstChange - context)
    let end = firstChange
    // Extend the hunk while the next change is within 2*context unchanged lines.
    for (let k = firstChange; k < ops.length; k++) {
      if (ops[k]!.type !== ' ') end = k
      else if (k - end > 2 * context) break
    }
    const stop = Math.min(ops.length, end + context + 1)
    const hunk = ops.slice(start, stop)
    const aStart = hunk.find((op) => op.type !== '+')?.aLine ?? hunk[0]!.aLine
    const bStart = hunk.find((op) => op.type !== '-')?.bLine ?? hunk[0]!.bLine
    const aCount = hunk.filter((op) => op.type !== '+').length
    const bCount = hunk.filter((op) => op.type !== '-').length
    out.push(`@@ -${aStart}${aCount === 1 ? '' : `,${aCount}`} +${bStart}${bCount === 1 ? '' : `,${bCount}`} @@`)
    for (const op of hunk) out.push(`${op.type}${op.text}`)
    index = stop
  }
  return `${out.join('\n')}\n`
}
