import type * as X509 from '@peculiar/x509'

let loaded: Promise<typeof X509> | undefined

/**
 * @peculiar/x509 with its decorator metadata and Node's WebCrypto wired in. Loaded on first use
 * only: importing it costs 100-150 ms, which commands that never touch certificates must not pay.
 */
export function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import('reflect-metadata')
    const {webcrypto} = await import('node:crypto')
    const x509 = await import('@peculiar/x509')
    x509.cryptoProvider.set(webcrypto as unknown as Crypto)
    return x509
  })()
  return loaded
}
