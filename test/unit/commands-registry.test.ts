import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {COMMANDS} from '../../commands/index.ts'
import {repoRoot} from '../helpers/paths.ts'

const notCommands = new Set(['base-command.ts', 'canary-shared.ts', 'index.ts', 'main.ts'])

function commandFiles(dir: string, prefix: string[] = []): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    if (entry.isDirectory()) return commandFiles(path.join(dir, entry.name), [...prefix, entry.name])
    if (!entry.name.endsWith('.ts') || (prefix.length === 0 && notCommands.has(entry.name))) return []
    return [[...prefix, entry.name.replace(/\.ts$/, '')].join(':')]
  })
}

describe('command registry (oclif explicit discovery)', () => {
  it('registers every command file under its path-derived id, and nothing else', () => {
    assert.deepEqual(Object.keys(COMMANDS).sort(), commandFiles(path.join(repoRoot, 'commands')).sort())
  })

  it('each registered command has a summary for `kubectl gw --help`', () => {
    for (const [id, command] of Object.entries(COMMANDS)) assert.ok(command.summary ?? command.description, `${id} has no summary`)
  })
})
