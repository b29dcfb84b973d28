import type {Io} from '../context.ts'

export interface ProgressTask<C> {
  title: string
  run(context: C, update: (title: string) => void): Promise<void>
  /** Skip with this reason instead of running. */
  skip?(context: C): string | false
}

/**
 * Runs a list of tasks with listr2's live view on a terminal, and as plain lines otherwise
 * (no TTY, CI, NO_COLOR, TERM=dumb): no spinner frames or colour codes reach logs or pipes.
 */
export async function runTaskList<C>(io: Io, tasks: ProgressTask<C>[], context: C): Promise<void> {
  if (!io.interactive) {
    for (const task of tasks) {
      const skipped = task.skip?.(context)
      if (skipped) {
        io.stderr.write(`- ${task.title} (skipped: ${skipped})\n`)
        continue
      }
      io.stderr.write(`* ${task.title}\n`)
      let title = task.title
      try {
        await task.run(context, (next) => {
          title = next
          io.stderr.write(`  ${next}\n`)
        })
      } catch (error) {
        io.stderr.write(`x ${title}\n`)
        throw error
      }
      io.stderr.write(`v ${title}\n`)
    }
    return
  }
  const {Listr} = await import('listr2')
  const list = new Listr<C>(
    tasks.map((task) => ({
      title: task.title,
      skip: (ctx: C) => task.skip?.(ctx) ?? false,
      task: async (ctx: C, listrTask: {title: string}) => {
        await task.run(ctx, (next) => {
          listrTask.title = next
        })
      },
    })),
    {concurrent: false, exitOnError: true, rendererOptions: {collapseSubtasks: false}},
  )
  await list.run(context)
}

/** One wait with an ora spinner on stderr on a terminal; a single plain line otherwise. */
export async function withSpinner<T>(io: Io, text: string, work: () => Promise<T>): Promise<T> {
  if (!io.interactive) {
    io.stderr.write(`${text}...\n`)
    return work()
  }
  const {default: ora} = await import('ora')
  const spinner = ora({text, stream: io.stderr.raw as NodeJS.WriteStream, isEnabled: true, color: false}).start()
  try {
    const result = await work()
    spinner.succeed()
    return result
  } catch (error) {
    spinner.fail()
    throw error
  }
}
