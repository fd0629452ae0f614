import { CliOptions, parseCli, USAGE, UsageError } from './cli-options';
import { auditJson, formatAudit, formatRebuild, formatStream, streamJson } from './format';
import { createProgress } from './progress';
import { EventReader, ReaderUnavailableError } from './readers/event-reader';
import { openReader } from './readers/open-reader';
import { EmbeddedReadModels } from './rebuild/embedded-read-models';
import { rebuildReadModels } from './rebuild/read-model-sink';
import { runAudit } from './run-audit';

export interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
}

export const EXIT_OK = 0;
export const EXIT_VIOLATIONS = 1;
export const EXIT_USAGE = 2;

/** The command line: returns the exit code (0 all checks hold, 1 a check failed, 2 usage error). */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let options: CliOptions;
  let reader: EventReader;
  try {
    options = parseCli(argv);
    if (options.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    reader = await openReader({ dataDir: options.dataDir, eventstore: options.eventstore });
  } catch (err) {
    if (err instanceof UsageError || err instanceof ReaderUnavailableError) {
      io.stderr.write(`audit: ${err.message}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const progress = options.quiet
    ? undefined
    : (from: number, head: number) => createProgress(io.stderr, options.rebuild ? 'rebuild' : 'audit', from, head);
  try {
    if (options.stream !== undefined) {
      const events = await reader.readStream(options.stream);
      io.stdout.write(options.json ? streamJson(options.stream, events) : formatStream(options.stream, events));
      return events.length > 0 ? EXIT_OK : EXIT_VIOLATIONS;
    }
    if (options.rebuild && options.mongoUrl) {
      // Loaded only here: the Kafka and MongoDB drivers are not needed for anything else the audit does.
      const { MongoReadModelSink } = await import('@concert/distributed');
      const result = await rebuildReadModels(reader, await MongoReadModelSink.open(options.mongoUrl), {
        after: (options.from ?? 1) - 1,
        pageSize: options.pageSize,
        progress,
      });
      io.stdout.write(
        options.json
          ? `${JSON.stringify({ source: reader.source, ...result }, null, 2)}\n`
          : `Rebuilt the MongoDB read models from ${reader.source}: ${result.events} events; documents ${JSON.stringify(result.summary)}\n`,
      );
      return EXIT_OK;
    }
    if (options.rebuild) {
      const result = await rebuildReadModels(reader, new EmbeddedReadModels(), {
        after: (options.from ?? 1) - 1,
        pageSize: options.pageSize,
        progress,
      });
      io.stdout.write(
        options.json
          ? `${JSON.stringify({ source: reader.source, ...result }, null, 2)}\n`
          : formatRebuild(result, reader.source),
      );
      return EXIT_OK;
    }
    const result = await runAudit({
      reader,
      from: options.from,
      maxActive: options.maxActive,
      inFlightGraceMs: options.graceSeconds === undefined ? undefined : options.graceSeconds * 1000,
      pageSize: options.pageSize,
      maxViolationsPerCheck: options.maxViolations,
      progress,
    });
    io.stdout.write(options.json ? auditJson(result) : formatAudit(result));
    return result.ok ? EXIT_OK : EXIT_VIOLATIONS;
  } catch (err) {
    io.stderr.write(`audit: could not finish: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT_VIOLATIONS;
  } finally {
    await reader.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`audit: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT_VIOLATIONS;
    },
  );
}
