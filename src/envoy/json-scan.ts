/**
 * Finds where JSON values start and end in a text without building them, so a large document can
 * be parsed one piece at a time (each piece with `JSON.parse`, turned into a model, then garbage)
 * instead of as one tree. The scan follows structure only (strings, nesting); the pieces' syntax is
 * checked by `JSON.parse`, and structure it cannot follow throws a SyntaxError.
 */

const quote = 34
const backslash = 92

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

export function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  return i
}

function stringEnd(text: string, start: number): number {
  let from = start + 1
  for (;;) {
    const at = text.indexOf('"', from)
    if (at < 0) throw new SyntaxError(`Unterminated string in JSON at position ${start}`)
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === backslash) backslashes++
    if (backslashes % 2 === 0) return at + 1
    from = at + 1
  }
}

/** Index just past the value that starts at `start` (after any whitespace). */
export function valueEnd(text: string, start: number): number {
  let i = skipSpace(text, start)
  const first = text.charCodeAt(i)
  if (first === quote) return stringEnd(text, i)
  if (first === 123 || first === 91) {
    // Jump from one structural character to the next; strings are skipped whole.
    const structural = /["[\]{}]/g
    structural.lastIndex = i
    let depth = 0
    for (let match = structural.exec(text); match; match = structural.exec(text)) {
      const at = match.index
      const c = text.charCodeAt(at)
      if (c === quote) structural.lastIndex = stringEnd(text, at)
      else if (c === 123 || c === 91) depth++
      else if (--depth === 0) return at + 1
    }
    throw new SyntaxError(`Unexpected end of JSON input (value at position ${start} is not closed)`)
  }
  const scalar = i
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 44 || c === 125 || c === 93 || isSpace(c)) break
    i++
  }
  if (i === scalar) throw new SyntaxError(`Unexpected token in JSON at position ${i}`)
  return i
}

function expect(text: string, i: number, char: string): number {
  if (text[i] !== char) throw new SyntaxError(`Expected '${char}' in JSON at position ${i}`)
  return i + 1
}

/**
 * Walks the array starting at `start`: `each` gets every element's start and returns where that
 * element ends (having parsed it, or walked it further). Returns the index past the array.
 */
export function eachElement(text: string, start: number, each: (start: number) => number): number {
  let i = skipSpace(text, expect(text, skipSpace(text, start), '['))
  if (text[i] === ']') return i + 1
  for (;;) {
    i = skipSpace(text, each(skipSpace(text, i)))
    if (text[i] === ']') return i + 1
    i = expect(text, i, ',')
  }
}

/** Walks the object starting at `start` the same way: `each` gets a key and its value's start. */
export function eachMember(text: string, start: number, each: (key: string, start: number) => number): number {
  let i = skipSpace(text, expect(text, skipSpace(text, start), '{'))
  if (text[i] === '}') return i + 1
  for (;;) {
    const keyStart = skipSpace(text, i)
    if (text.charCodeAt(keyStart) !== quote) throw new SyntaxError(`Expected a property name in JSON at position ${keyStart}`)
    const keyEnd = stringEnd(text, keyStart)
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string
    i = skipSpace(text, each(key, skipSpace(text, expect(text, skipSpace(text, keyEnd), ':'))))
    if (text[i] === '}') return i + 1
    i = expect(text, i, ',')
  }
}

/** The first character of the value at `start`: `{`, `[`, `"`, or a scalar's. */
export function kindAt(text: string, start: number): string {
  return text[skipSpace(text, start)] ?? ''
}

/** The value at `start`, parsed, and the index past it. */
export function parseAt(text: string, start: number): {value: unknown; end: number} {
  const end = valueEnd(text, start)
  return {value: JSON.parse(text.slice(start, end)), end}
}
