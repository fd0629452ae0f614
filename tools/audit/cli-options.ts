import { parseArgs } from 'node:util';

export interface CliOptions {
  help: boolean;
  dataDir?: string;
  eventstore?: string;
  from?: number;
  stream?: string;
  rebuild: boolean;
  mongoUrl?: string;
  json: boolean;
  maxActive?: number;
  graceSeconds?: number;
  pageSize?: number;
  maxViolations?: number;
  quiet: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: npm run audit -- [options]

Replays the event log from the start and checks the ledger's invariants.
Exit 0: every check holds; 1: a check failed (or the audit could not finish); 2: usage error.

Source (one of):
  --data-dir <dir>        embedded SQLite store <dir>/events.db (default: DATA_DIR or ./data)
  --eventstore <conn>     KurrentDB connection string (needs the KurrentDB adapter)

Modes:
  (default)               audit every invariant and print a summary
  --stream <name>         print one stream's history in order
  --rebuild               rebuild the read models from the log and print what they hold
  --mongo-url <url>       with --rebuild: rebuild the MongoDB read models (distributed mode) instead

Options:
  --from <position>       replay from this global position on (inclusive; default 1)
  --max-active <n>        the ACTIVE token cap in force (default: QUEUE_MAX_ACTIVE or 100)
  --grace <seconds>       a debit this recent with no sale or refund is "in flight" (default 30)
  --max-violations <n>    violations kept per check (the rest are counted; default 1000)
  --page-size <n>         events read per page (default 5000)
  --json                  machine-readable output on stdout
  --quiet                 no progress on stderr
  -h, --help              this text
`;

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        'data-dir': { type: 'string' },
        eventstore: { type: 'string' },
        from: { type: 'string' },
        stream: { type: 'string' },
        rebuild: { type: 'boolean', default: false },
        'mongo-url': { type: 'string' },
        json: { type: 'boolean', default: false },
        'max-active': { type: 'string' },
        grace: { type: 'string' },
        'page-size': { type: 'string' },
        'max-violations': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const options: CliOptions = {
    help: v.help ?? false,
    dataDir: nonEmpty('--data-dir', v['data-dir']),
    eventstore: nonEmpty('--eventstore', v.eventstore),
    from: integer('--from', v.from, 1),
    stream: nonEmpty('--stream', v.stream),
    rebuild: v.rebuild ?? false,
    mongoUrl: nonEmpty('--mongo-url', v['mongo-url']),
    json: v.json ?? false,
    maxActive: integer('--max-active', v['max-active'], 1),
    graceSeconds: integer('--grace', v.grace, 0),
    pageSize: integer('--page-size', v['page-size'], 1),
    maxViolations: integer('--max-violations', v['max-violations'], 0),
    quiet: v.quiet ?? false,
  };
  if (options.dataDir !== undefined && options.eventstore !== undefined) {
    throw new UsageError('--data-dir and --eventstore name two different stores: give one');
  }
  if (options.mongoUrl !== undefined && !options.rebuild) throw new UsageError('--mongo-url goes with --rebuild');
  if (options.stream !== undefined && options.rebuild)
    throw new UsageError('--stream and --rebuild are separate modes: give one');
  if (options.stream !== undefined && options.from !== undefined) throw new UsageError('--from does not apply to --stream');
  return options;
}

function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${name} needs a value`);
  return value;
}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${name} must be an integer of at least ${min}, got "${value}"`);
  }
  return Number(value);
}
