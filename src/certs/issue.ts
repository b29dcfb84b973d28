import type {webcrypto} from 'node:crypto'
import {UsageError} from '../errors.ts'
import {loadX509} from './x509-library.ts'

import {keyTypes, type KeyType} from './options.ts'

export {keyTypes, type KeyType}
export const defaultKeyType: KeyType = 'ecdsa-p256'
export const defaultDays = 365
/** A CA we generate outlives the certificates it signs, so `rotate` can keep using it. */
export const generatedCaMinDays = 3650
/** Backdating notBefore absorbs clock skew between this machine, the gateway and its clients. */
const clockSkewMs = 5 * 60_000
const dayMs = 86_400_000

export interface PemCredential {
  /** PEM certificate (a chain when it holds more than one block). */
  certificate: string
  /** PEM private key, PKCS#8. */
  privateKey: string
}

export interface IssuedCertificate extends PemCredential {
  subject: string
  /** Hex serial, lower case. */
  serial: string
  notBefore: string
  notAfter: string
  /** Subject alternative names as `DNS:name` / `IP:address`. */
  sans: string[]
}

/** A CA able to sign: its certificate and key, checked to belong together and to be a CA. */
export interface CertificateAuthority extends PemCredential {
  subject: string
  notAfter: Date
  /** Where it came from, for messages: "generated", "--ca-cert ca.pem", "secret istio-system/x-ca". */
  source: string
}

export interface CredentialBundle {
  keyType: KeyType
  hosts: string[]
  ca: IssuedCertificate & {generated: boolean}
  server: IssuedCertificate
  clients: (IssuedCertificate & {name: string})[]
}

export interface IssueRequest {
  hosts: string[]
  keyType: KeyType
  days: number
  /** Client certificates to issue (MUTUAL); each name becomes the client's CN. */
  clients: string[]
  /** Sign with this CA; a new one is generated when absent. */
  ca?: CertificateAuthority
  /** Common name of a generated CA. */
  caName?: string
  now: Date
}

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams

interface Signer {
  key: CryptoKey
  algorithm: SigningAlgorithm
  subject: string
  /** The CA's subject as encoded in its certificate: the leaves' issuer must match it byte for byte. */
  subjectName: import('@peculiar/x509').Name
  /** Subject key identifier of the CA certificate, reused as the leaves' authority key identifier. */
  keyId: string
  notAfter: Date
  /** PEM to append to leaves when the CA is an intermediate, so peers can build the chain to its root. */
  chain: string
}

function keyGenAlgorithm(keyType: KeyType): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  if (keyType === 'ecdsa-p256') return {name: 'ECDSA', namedCurve: 'P-256'}
  return {name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(keyType.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256'}
}

function signingAlgorithm(key: CryptoKey): SigningAlgorithm {
  const algorithm = key.algorithm as webcrypto.EcKeyAlgorithm
  if (algorithm.name === 'ECDSA') return {name: 'ECDSA', hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256'}
  return {name: 'RSASSA-PKCS1-v1_5'}
}

export async function generateKeyPair(keyType: KeyType): Promise<CryptoKeyPair> {
  const {webcrypto} = await import('node:crypto')
  return (await webcrypto.subtle.generateKey(keyGenAlgorithm(keyType), true, ['sign', 'verify'])) as CryptoKeyPair
}

/** 128 random bits, positive, with no leading zero byte (RFC 5280 4.1.2.2). */
async function randomSerial(): Promise<string> {
  const {randomBytes} = await import('node:crypto')
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01
  return bytes.toString('hex')
}

async function privateKeyPem(subtle: webcrypto.SubtleCrypto, key: CryptoKey): Promise<string> {
  const x509 = await loadX509()
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY')
}

function sanNames(hosts: string[], isIP: (h: string) => number): {type: 'dns' | 'ip'; value: string}[] {
  return hosts.map((host) => ({type: isIP(host) ? 'ip' : 'dns', value: host}))
}

function sanLabels(hosts: string[], isIP: (h: string) => number): string[] {
  return hosts.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`))
}

function describe(cert: {subject: string; serialNumber: string; notBefore: Date; notAfter: Date; toString(format: 'pem'): string}, privateKey: string, sans: string[]): IssuedCertificate {
  return {
    certificate: cert.toString('pem') + '\n',
    privateKey,
    subject: cert.subject,
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sans,
  }
}

/** A self-signed CA: basicConstraints CA:true (critical), keyCertSign + cRLSign, SKI. */
async function generateCa(keyType: KeyType, name: string, days: number, now: Date): Promise<{issued: IssuedCertificate; signer: Signer}> {
  const x509 = await loadX509()
  const {webcrypto} = await import('node:crypto')
  const keys = await generateKeyPair(keyType)
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
  const notAfter = new Date(now.getTime() + Math.max(days, generatedCaMinDays) * dayMs)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: await randomSerial(),
    name: `CN=${name}, O=kubectl-gw`,
    notBefore: new Date(now.getTime() - clockSkewMs),
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski,
    ],
  })
  const issued = describe(cert, await privateKeyPem(webcrypto.subtle, keys.privateKey), [])
  return {issued, signer: {key: keys.privateKey, algorithm: signingAlgorithm(keys.privateKey), subject: cert.subject, subjectName: cert.subjectName, keyId: ski.keyId, notAfter, chain: ''}}
}

/** Turns a checked CA into something that signs, reusing its SKI so chains build by key id. */
async function signerOf(ca: CertificateAuthority): Promise<Signer> {
  const x509 = await loadX509()
  const {createPrivateKey, webcrypto} = await import('node:crypto')
  const keyObject = createPrivateKey(ca.privateKey)
  const der = keyObject.export({type: 'pkcs8', format: 'der'})
  const curve = keyObject.asymmetricKeyDetails?.namedCurve
  const importAlgorithm =
    keyObject.asymmetricKeyType === 'ec' ? {name: 'ECDSA', namedCurve: curve === 'secp384r1' ? 'P-384' : 'P-256'} : {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'}
  const key = await webcrypto.subtle.importKey('pkcs8', der, importAlgorithm, false, ['sign'])
  const cert = new x509.X509Certificate(ca.certificate)
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)
  const keyId = ski?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId
  const selfSigned = cert.subject === cert.issuer && (await cert.isSelfSigned())
  return {key, algorithm: signingAlgorithm(key), subject: cert.subject, subjectName: cert.subjectName, keyId, notAfter: cert.notAfter, chain: selfSigned ? '' : ca.certificate}
}

interface LeafRequest {
  signer: Signer
  keyType: KeyType
  commonName: string
  /** SAN hosts (server) or none (client). */
  hosts: string[]
  usage: 'server' | 'client'
  days: number
  now: Date
}

/**
 * An end-entity certificate: CA:false, digitalSignature (+keyEncipherment for RSA key exchange),
 * serverAuth or clientAuth, AKI/SKI, random 128-bit serial, notBefore backdated a little.
 */
async function issueLeaf(request: LeafRequest): Promise<IssuedCertificate> {
  const x509 = await loadX509()
  const {webcrypto} = await import('node:crypto')
  const {isIP} = await import('node:net')
  const {signer, keyType, hosts, now} = request
  const notAfter = new Date(now.getTime() + request.days * dayMs)
  if (notAfter > signer.notAfter) {
    throw new UsageError(`--days ${request.days}: the certificate would outlive its CA "${signer.subject}", which expires ${signer.notAfter.toISOString()}`, {
      hint: 'lower --days, or renew the CA first',
    })
  }
  const keys = await generateKeyPair(keyType)
  let usages = x509.KeyUsageFlags.digitalSignature
  if (keyType !== 'ecdsa-p256') usages |= x509.KeyUsageFlags.keyEncipherment
  const extensions: import('@peculiar/x509').Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension([request.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    new x509.AuthorityKeyIdentifierExtension(signer.keyId),
  ]
  if (hosts.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sanNames(hosts, isIP)))
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: await randomSerial(),
    subject: `CN=${request.commonName}`,
    issuer: signer.subjectName,
    notBefore: new Date(now.getTime() - clockSkewMs),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions,
  })
  const issued = describe(cert, await privateKeyPem(webcrypto.subtle, keys.privateKey), sanLabels(hosts, isIP))
  return {...issued, certificate: issued.certificate + signer.chain}
}

/**
 * Everything a gateway credential needs, in PEM: the CA (given or new), a server certificate
 * naming every host (CN = first host, IPs as IP SANs) and the client certificates for MUTUAL.
 * Pure apart from randomness: the clock comes in, nothing is written.
 */
export async function issueCredential(request: IssueRequest): Promise<CredentialBundle> {
  let ca: CredentialBundle['ca']
  let signer: Signer
  if (request.ca) {
    signer = await signerOf(request.ca)
    const {X509Certificate} = await import('node:crypto')
    const cert = new X509Certificate(request.ca.certificate)
    ca = {
      certificate: request.ca.certificate,
      privateKey: request.ca.privateKey,
      subject: signer.subject,
      serial: cert.serialNumber.toLowerCase(),
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: signer.notAfter.toISOString(),
      sans: [],
      generated: false,
    }
  } else {
    const generated = await generateCa(request.keyType, request.caName ?? 'kubectl-gw CA', request.days, request.now)
    signer = generated.signer
    ca = {...generated.issued, generated: true}
  }
  const leaf = {signer, keyType: request.keyType, days: request.days, now: request.now}
  // Key generation dominates (RSA-4096 takes seconds): run it for all leaves at once.
  const [server, ...clients] = await Promise.all([
    issueLeaf({...leaf, commonName: request.hosts[0] as string, hosts: request.hosts, usage: 'server'}),
    ...request.clients.map((name) => issueLeaf({...leaf, commonName: name, hosts: [], usage: 'client'})),
  ])
  return {
    keyType: request.keyType,
    hosts: request.hosts,
    ca,
    server: server as IssuedCertificate,
    clients: clients.map((issued, i) => ({...issued, name: request.clients[i] as string})),
  }
}

/** A new server certificate for the same hosts from an existing CA (what `rotate` does). */
export async function reissueServerCertificate(request: {ca: CertificateAuthority; hosts: string[]; keyType: KeyType; days: number; now: Date}): Promise<IssuedCertificate> {
  const signer = await signerOf(request.ca)
  return issueLeaf({signer, keyType: request.keyType, commonName: request.hosts[0] as string, hosts: request.hosts, usage: 'server', days: request.days, now: request.now})
}

/** The key type of a PEM private key, when it is one we issue. */
export async function keyTypeOf(privateKeyPem: string): Promise<KeyType | undefined> {
  const {createPrivateKey} = await import('node:crypto')
  const key = createPrivateKey(privateKeyPem)
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : undefined
  if (key.asymmetricKeyType === 'rsa') {
    const type = `rsa-${key.asymmetricKeyDetails?.modulusLength}`
    return (keyTypes as readonly string[]).includes(type) ? (type as KeyType) : undefined
  }
  return undefined
}

/**
 * Checks that a certificate and key can act as a CA: both parse, the certificate says CA:true,
 * the key belongs to it, it is valid now. `source` names where they came from in every message.
 */
export async function loadCertificateAuthority(pair: PemCredential, source: {certificate: string; privateKey: string; label: string}, now: Date): Promise<CertificateAuthority> {
  const {X509Certificate, createPrivateKey} = await import('node:crypto')
  let cert: InstanceType<typeof X509Certificate>
  try {
    cert = new X509Certificate(pair.certificate)
  } catch {
    throw new UsageError(`${source.certificate}: not a PEM certificate`, {hint: 'pass the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)'})
  }
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(pair.privateKey)
  } catch {
    throw new UsageError(`${source.privateKey}: not an unencrypted PEM private key`, {hint: 'pass the CA key in PEM form (PKCS#8, PKCS#1 or SEC1), not encrypted'})
  }
  if (!cert.ca) throw new UsageError(`${source.certificate}: "${cert.subject.replaceAll('\n', ', ')}" is not a CA certificate (basicConstraints CA:false)`)
  if (!cert.checkPrivateKey(key)) throw new UsageError(`${source.privateKey}: the key does not belong to the CA certificate ${source.certificate}`)
  const keyType = key.asymmetricKeyType
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (keyType !== 'rsa' && !(keyType === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1'))) {
    throw new UsageError(`${source.privateKey}: unsupported CA key type ${keyType}${curve ? ` (${curve})` : ''}`, {hint: 'use an RSA, ECDSA P-256 or P-384 CA'})
  }
  const notAfter = new Date(cert.validTo)
  if (notAfter <= now) throw new UsageError(`${source.certificate}: the CA expired ${notAfter.toISOString()}`, {hint: 'renew the CA, or omit it to generate a new one'})
  return {
    certificate: pair.certificate.endsWith('\n') ? pair.certificate : `${pair.certificate}\n`,
    privateKey: key.export({type: 'pkcs8', format: 'pem'}) as string,
    subject: cert.subject.replaceAll('\n', ', '),
    notAfter,
    source: source.label,
  }
}
