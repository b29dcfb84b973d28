/**
 * Finds where JSON values start and end in a document's bytes without building them, so a large
 * document can be parsed one piece at a time (each piece decoded and `JSON.parse`d, turned into a
 * model, then garbage) instead of as one string and one tree. The scan follows structure only
 * (strings, nesting); the pieces' syntax is checked by `JSON.parse`, and structure it cannot follow
 * throws a SyntaxError. Pieces start and end at ASCII characters, so each decodes as UTF-8 on its own.
 */
import {isAscii} from 'node:buffer'

/** A document's bytes, and how to decode a piece (latin1 is the cheap copy when it is all ASCII). */
export interface JsonBytes {
  bytes: Buffer
  ascii: boolean
}

export function jsonBytes(document: Buffer | string): JsonBytes {
  const bytes = typeof document === 'string' ? Buffer.from(document) : document
  return {bytes, ascii: isAscii(bytes)}
}

const quote = 34
const backslash = 92
const openBrace = 123
const closeBrace = 125
const openBracket = 91
const closeBracket = 93
const comma = 44
const colon = 58

function isSpace(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

export function skipSpace(source: JsonBytes, i: number): number {
  const {bytes} = source
  while (i < bytes.length && isSpace(bytes[i])) i++
  return i
}

function stringEnd(bytes: Buffer, start: number): number {
  let from = start + 1
  for (;;) {
    const at = bytes.indexOf(quote, from)
    if (at < 0) throw new SyntaxError(`Unterminated string in JSON at position ${start}`)
    let backslashes = 0
    while (bytes[at - 1 - backslashes] === backslash) backslashes++
    if (backslashes % 2 === 0) return at + 1
    from = at + 1
  }
}

/** Index just past the value that starts at `start` (after any whitespace). */
export function valueEnd(source: JsonBytes, start: number): number {
  const {bytes} = source
  let i = skipSpace(source, start)
  const first = bytes[i]
  if (first === quote) return stringEnd(bytes, i)
  if (first === openBrace || first === openBracket) {
    let depth = 0
    for (; i < bytes.length; i++) {
      const c = bytes[i]
      if (c === quote) i = stringEnd(bytes, i) - 1
      else if (c === openBrace || c === openBracket) depth++
      else if (c === closeBrace || c === closeBracket) {
        if (--depth === 0) return i + 1
      }
    }
    throw new SyntaxError(`Unexpected end of JSON input (value at position ${start} is not closed)`)
  }
  const scalar = i
  while (i < bytes.length) {
    const c = bytes[i]
    if (c === comma || c === closeBrace || c === closeBracket || isSpace(c)) break
    i++
  }
  if (i === scalar) throw new SyntaxError(`Unexpected token in JSON at position ${i}`)
  return i
}

function expect(source: JsonBytes, i: number, char: number): number {
  if (source.bytes[i] !== char) throw new SyntaxError(`Expected '${String.fromCharCode(char)}' in JSON at position ${i}`)
  return i + 1
}

function decode(source: JsonBytes, start: number, end: number): string {
  return source.bytes.toString(source.ascii ? 'latin1' : 'utf8', start, end)
}

/**
 * Walks the array starting at `start`: `each` gets every element's start and returns where that
 * element ends (having parsed it, or walked it further). Returns the index past the array.
 */
export function eachElement(source: JsonBytes, start: number, each: (start: number) => number): number {
  let i = skipSpace(source, expect(source, skipSpace(source, start), openBracket))
  if (source.bytes[i] === closeBracket) return i + 1
  for (;;) {
    i = skipSpace(source, each(skipSpace(source, i)))
    if (source.bytes[i] === closeBracket) return i + 1
    i = expect(source, i, comma)
  }
}

/** Walks the object starting at `start` the same way: `each` gets a key and its value's start. */
export function eachMember(source: JsonBytes, start: number, each: (key: string, start: number) => number): number {
  let i = skipSpace(source, expect(source, skipSpace(source, start), openBrace))
  if (source.bytes[i] === closeBrace) return i + 1
  for (;;) {
    const keyStart = skipSpace(source, i)
    if (source.bytes[keyStart] !== quote) throw new SyntaxError(`Expected a property name in JSON at position ${keyStart}`)
    const keyEnd = stringEnd(source.bytes, keyStart)
    const key = JSON.parse(decode(source, keyStart, keyEnd)) as string
    i = skipSpace(source, each(key, skipSpace(source, expect(source, skipSpace(source, keyEnd), colon))))
    if (source.bytes[i] === closeBrace) return i + 1
    i = expect(source, i, comma)
  }
}

/** The first character of the value at `start`: `{`, `[`, `"`, or a scalar's. */
export function kindAt(source: JsonBytes, start: number): string {
  const c = source.bytes[skipSpace(source, start)]
  return c === undefined ? '' : String.fromCharCode(c)
}

/** Whether the bytes at `at` are `text` (ASCII). */
export function bytesAre(source: JsonBytes, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (source.bytes[at + k] !== text.charCodeAt(k)) return false
  return true
}

/** The value at `start`, parsed, and the index past it. */
export function parseAt(source: JsonBytes, start: number): {value: unknown; end: number} {
  const end = valueEnd(source, start)
  return {value: JSON.parse(decode(source, start, end)), end}
}
