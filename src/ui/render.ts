import {UsageError} from '../errors.ts'

export const outputFormats = ['table', 'wide', 'yaml', 'json'] as const
export type OutputFormat = (typeof outputFormats)[number]

/** How a command's typed result looks as a human table; JSON and YAML come from the data itself. */
export interface TableView<T> {
  /** Lines for the human view; `wide` adds columns where the command has more to say. */
  table(result: T, options: {wide: boolean}): string[]
  /** Whether `-o wide` means something for this command. */
  hasWide?: boolean
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = (value ?? 'table') as OutputFormat
  if (!outputFormats.includes(format)) {
    throw new UsageError(`unknown output format "${value}" for -o/--output`, {hint: `use one of: ${outputFormats.join(', ')}`})
  }
  return format
}

/** Renders a result to text in the asked format; never mixes a human table into JSON or YAML. */
export async function renderResult<T>(result: T, format: OutputFormat, view: TableView<T>): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`
    case 'yaml':
      return toYaml(result)
    case 'wide':
      if (!view.hasWide) throw new UsageError('-o wide is not available for this command', {hint: 'use -o table, yaml or json'})
      return joinLines(view.table(result, {wide: true}))
    case 'table':
      return joinLines(view.table(result, {wide: false}))
  }
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** kubectl's table layout: upper-case headers, columns padded, three spaces apart. */
export function formatTable(headers: string[], rows: (string | number | undefined)[][]): string[] {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '<none>' : String(c))))]
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)))
  return cells.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('   ')
      .trimEnd(),
  )
}

/** YAML as kubectl prints it (no line folding); the yaml module loads only when YAML is asked for. */
export async function toYaml(value: unknown): Promise<string> {
  const {yamlText} = await import('./yaml-text.ts')
  return yamlText(value)
}

/** Multi-document YAML for Kubernetes objects, as `kubectl get -o yaml` of several objects would print them. */
export async function objectsToYaml(objects: unknown[]): Promise<string> {
  const {yamlText} = await import('./yaml-text.ts')
  return objects.map(yamlText).join('---\n')
}
