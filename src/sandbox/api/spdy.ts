import {inflateSync, constants as zlibConstants} from 'node:zlib'
import type {Duplex} from 'node:stream'

/**
 * SPDY/3.1 framing, as much as kubectl's port-forward (moby/spdystream) uses: SYN_STREAM /
 * SYN_REPLY with zlib-compressed header blocks, DATA with FIN, RST_STREAM, PING, SETTINGS,
 * WINDOW_UPDATE and GOAWAY. http://www.chromium.org/spdy/spdy-protocol/spdy-protocol-draft3
 */

/** The header-compression dictionary of SPDY/3 (spec section 2.6.10.1): length-prefixed names, then a tail. */
export const spdyDictionary: Buffer = (() => {
  const names = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
    'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
    'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
    'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
    'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ]
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden' +
    '404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
    'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.'
  const parts = names.map((name) => {
    const entry = Buffer.alloc(4 + name.length)
    entry.writeUInt32BE(name.length, 0)
    entry.write(name, 4, 'latin1')
    return entry
  })
  return Buffer.concat([...parts, Buffer.from(tail, 'latin1')])
})()

const frameType = {synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9} as const
const flagFin = 0x01

export type SpdyHeaders = Record<string, string[]>

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = []
  const count = Buffer.alloc(4)
  count.writeUInt32BE(Object.keys(headers).length)
  parts.push(count)
  for (const [name, values] of Object.entries(headers)) {
    for (const text of [name.toLowerCase(), values.join('\0')]) {
      const length = Buffer.alloc(4)
      length.writeUInt32BE(Buffer.byteLength(text))
      parts.push(length, Buffer.from(text))
    }
  }
  return Buffer.concat(parts)
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {}
  let offset = 4
  const count = block.readUInt32BE(0)
  for (let i = 0; i < count; i++) {
    const nameLength = block.readUInt32BE(offset)
    const name = block.subarray(offset + 4, offset + 4 + nameLength).toString()
    offset += 4 + nameLength
    const valueLength = block.readUInt32BE(offset)
    headers[name.toLowerCase()] = block.subarray(offset + 4, offset + 4 + valueLength).toString().split('\0')
    offset += 4 + valueLength
  }
  return headers
}

/**
 * The receiving side of one connection's header compression: a single zlib stream for the
 * connection's lifetime, each block ending at a sync flush. Re-inflating everything received so
 * far keeps this synchronous; a port-forward sends a handful of blocks.
 */
export class HeaderInflater {
  private received = Buffer.alloc(0)
  private produced = 0

  inflate(block: Buffer): Buffer {
    this.received = Buffer.concat([this.received, block])
    const all = inflateSync(this.received, {dictionary: spdyDictionary, finishFlush: zlibConstants.Z_SYNC_FLUSH})
    const fresh = all.subarray(this.produced)
    this.produced = all.length
    return fresh
  }
}

/**
 * The sending side: zlib framing with stored (uncompressed) deflate blocks. Valid for any zlib
 * reader (no preset dictionary flagged, so none is needed), and needs no shared compressor state.
 */
export class HeaderDeflater {
  private started = false

  deflate(block: Buffer): Buffer {
    const parts: Buffer[] = []
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01]))
      this.started = true
    }
    for (let offset = 0; offset < block.length || offset === 0; offset += 0xffff) {
      const chunk = block.subarray(offset, offset + 0xffff)
      const header = Buffer.alloc(5)
      header.writeUInt8(0, 0)
      header.writeUInt16LE(chunk.length, 1)
      header.writeUInt16LE(~chunk.length & 0xffff, 3)
      parts.push(header, chunk)
      if (block.length === 0) break
    }
    // An empty stored block is zlib's sync flush: it tells the reader the block ends here, so it
    // hands over the data without waiting for more input.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]))
    return Buffer.concat(parts)
  }
}

export interface SpdyStream {
  id: number
  headers: SpdyHeaders
  /** Sends data; `fin` half-closes our side. */
  write(data: Buffer, fin?: boolean): void
  reset(status?: number): void
}

export interface SpdyStreamHandlers {
  onData(data: Buffer): void
  onFin(): void
  onReset(): void
}

/** The server side of a SPDY/3.1 connection over an upgraded socket. */
export class SpdyServerConnection {
  private readonly socket: Duplex
  private buffer = Buffer.alloc(0)
  private readonly inflater = new HeaderInflater()
  private readonly deflater = new HeaderDeflater()
  private readonly streams = new Map<number, {stream: SpdyStream; handlers?: SpdyStreamHandlers; localClosed: boolean}>()
  private readonly onStream: (stream: SpdyStream) => SpdyStreamHandlers
  private closed = false

  constructor(socket: Duplex, onStream: (stream: SpdyStream) => SpdyStreamHandlers) {
    this.socket = socket
    this.onStream = onStream
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('close', () => this.close())
    socket.on('error', () => this.close())
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    for (const entry of this.streams.values()) entry.handlers?.onReset()
    this.streams.clear()
    this.socket.destroy()
  }

  private send(frame: Buffer): void {
    if (!this.closed) this.socket.write(frame)
  }

  private control(type: number, flags: number, payload: Buffer): void {
    const header = Buffer.alloc(8)
    header.writeUInt16BE(0x8000 | 3, 0)
    header.writeUInt16BE(type, 2)
    header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4)
    this.send(Buffer.concat([header, payload]))
  }

  private data(streamId: number, flags: number, payload: Buffer): void {
    for (let offset = 0; offset < payload.length || offset === 0; offset += 0xffff) {
      const chunk = payload.subarray(offset, offset + 0xffff)
      const last = offset + 0xffff >= payload.length
      const header = Buffer.alloc(8)
      header.writeUInt32BE(streamId & 0x7fffffff, 0)
      header.writeUInt32BE((((last ? flags : 0) & 0xff) << 24) | chunk.length, 4)
      this.send(Buffer.concat([header, chunk]))
      if (payload.length === 0) break
    }
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff
      if (this.buffer.length < 8 + length) return
      const frame = this.buffer.subarray(0, 8 + length)
      this.buffer = this.buffer.subarray(8 + length)
      try {
        this.handleFrame(frame)
      } catch {
        this.control(frameType.goAway, 0, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]))
        this.close()
        return
      }
    }
  }

  private handleFrame(frame: Buffer): void {
    const flags = frame.readUInt8(4)
    const payload = frame.subarray(8)
    if ((frame.readUInt8(0) & 0x80) === 0) {
      const entry = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff)
      if (!entry) return
      if (payload.length > 0) {
        entry.handlers?.onData(payload)
        // Give the window back as we consume, so large bodies keep flowing.
        const update = Buffer.alloc(8)
        update.writeUInt32BE(entry.stream.id, 0)
        update.writeUInt32BE(payload.length, 4)
        this.control(frameType.windowUpdate, 0, update)
      }
      if (flags & flagFin) entry.handlers?.onFin()
      return
    }
    const type = frame.readUInt16BE(2)
    switch (type) {
      case frameType.synStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff
        const headers = decodeHeaderBlock(this.inflater.inflate(payload.subarray(10)))
        const stream: SpdyStream = {
          id,
          headers,
          write: (data, fin = false) => {
            const entry = this.streams.get(id)
            if (!entry || entry.localClosed) return
            if (fin) entry.localClosed = true
            this.data(id, fin ? flagFin : 0, data)
          },
          reset: (status = 5) => {
            const body = Buffer.alloc(8)
            body.writeUInt32BE(id, 0)
            body.writeUInt32BE(status, 4)
            this.control(frameType.rstStream, 0, body)
            this.streams.delete(id)
          },
        }
        this.streams.set(id, {stream, localClosed: false})
        const reply = Buffer.alloc(4)
        reply.writeUInt32BE(id, 0)
        this.control(frameType.synReply, 0, Buffer.concat([reply, this.deflater.deflate(encodeHeaderBlock({}))]))
        const entry = this.streams.get(id)
        if (entry) entry.handlers = this.onStream(stream)
        if (flags & flagFin) entry?.handlers?.onFin()
        break
      }
      case frameType.rstStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff
        this.streams.get(id)?.handlers?.onReset()
        this.streams.delete(id)
        break
      }
      case frameType.ping:
        this.control(frameType.ping, 0, payload)
        break
      case frameType.goAway:
        this.close()
        break
      case frameType.headers:
        this.inflater.inflate(payload.subarray(4))
        break
      default:
        // SETTINGS and WINDOW_UPDATE need no answer from a server that never fills a window.
        break
    }
  }
}
