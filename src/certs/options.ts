// Option lists that flag declarations need at start-up: kept apart from the certificate code they describe,
// so that declaring `certs` flags loads nothing heavy.
export const keyTypes = ['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const
export type KeyType = (typeof keyTypes)[number]

export const dryRunModes = ['none', 'client', 'server'] as const
export type DryRun = (typeof dryRunModes)[number]
