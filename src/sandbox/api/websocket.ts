import {createHash} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

/**
 * The server side of RFC 6455, as much as the API server's streaming endpoints need: the opening
 * handshake with subprotocol selection, masked client frames (fragmented messages reassembled),
 * ping/pong, and the close handshake. Messages are delivered whole.
 */

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const opcode = {continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10} as const

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && typeof req.headers['sec-websocket-key'] === 'string'
}

/** The subprotocols the client offered, in its order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean)
}

export interface WebSocketHandlers {
  onMessage(data: Buffer, binary: boolean): void
  onClose(): void
}

export class WebSocketConnection {
  private readonly socket: Duplex
  private buffer: Buffer = Buffer.alloc(0)
  private fragments: Buffer[] = []
  private fragmentBinary = true
  private closed = false
  handlers: WebSocketHandlers = {onMessage: () => undefined, onClose: () => undefined}

  /** Completes the handshake (101 with the chosen subprotocol, if any) on an upgraded socket. */
  constructor(req: IncomingMessage, socket: Duplex, protocol: string | undefined) {
    this.socket = socket
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${guid}`).digest('base64')
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []), '', ''].join('\r\n'))
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('close', () => this.finish())
    socket.on('error', () => this.finish())
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    this.handlers.onClose()
  }

  private frame(op: number, payload: Buffer): void {
    if (this.closed) return
    const length = payload.length
    const header = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10)
    header[0] = 0x80 | op
    if (length < 126) header[1] = length
    else if (length < 0x10000) {
      header[1] = 126
      header.writeUInt16BE(length, 2)
    } else {
      header[1] = 127
      header.writeBigUInt64BE(BigInt(length), 2)
    }
    this.socket.write(Buffer.concat([header, payload]))
  }

  send(data: Buffer | string, binary = true): void {
    this.frame(binary ? opcode.binary : opcode.text, typeof data === 'string' ? Buffer.from(data) : data)
  }

  /** Starts the close handshake; the socket ends when the peer answers (or at once if it is gone). */
  close(code = 1000, reason = ''): void {
    if (this.closed) return
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
    payload.writeUInt16BE(code, 0)
    payload.write(reason, 2)
    this.frame(opcode.close, payload)
    this.socket.end()
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    while (this.buffer.length >= 2) {
      const first = this.buffer[0]!
      const second = this.buffer[1]!
      let length = second & 0x7f
      let offset = 2
      if (length === 126) {
        if (this.buffer.length < 4) return
        length = this.buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (this.buffer.length < 10) return
        length = Number(this.buffer.readBigUInt64BE(2))
        offset = 10
      }
      const masked = (second & 0x80) !== 0
      const maskOffset = offset
      if (masked) offset += 4
      if (this.buffer.length < offset + length) return
      const payload = Buffer.from(this.buffer.subarray(offset, offset + length))
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= this.buffer[maskOffset + (i % 4)]!
      this.buffer = this.buffer.subarray(offset + length)
      this.handleFrame((first & 0x80) !== 0, first & 0x0f, payload)
    }
  }

  private handleFrame(fin: boolean, op: number, payload: Buffer): void {
    switch (op) {
      case opcode.ping:
        return this.frame(opcode.pong, payload)
      case opcode.pong:
        return
      case opcode.close:
        if (!this.closed) {
          this.frame(opcode.close, payload.subarray(0, 2))
          this.socket.end()
        }
        return this.finish()
      case opcode.text:
      case opcode.binary:
        this.fragments = [payload]
        this.fragmentBinary = op === opcode.binary
        break
      case opcode.continuation:
        this.fragments.push(payload)
        break
      default:
        return this.close(1002, 'unknown opcode')
    }
    if (fin) {
      const message = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments)
      this.fragments = []
      this.handlers.onMessage(message, this.fragmentBinary)
    }
  }
}
