import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_FILE = join(__dirname, '..', 'RESULTS.md');

/** The order sections appear in, whatever order the specs ran in. */
const ORDER = ['fuzz', 'auth', 'input', 'rate-limit', 'crash', 'races'];

const HEADER = `# Reliability results

Written by the reliability specs (\`npm run test:reliability\`, \`tools/reliability/*.rel-spec.ts\`) at the end
of each run; each spec rewrites its own section. Counts are from the last run of that spec.
`;

/** Replaces this spec's section of RESULTS.md (sections kept in a fixed order; other specs' left as they are). */
export function writeResults(id: string, title: string, lines: string[]): void {
  withLock(() => {
    const sections = new Map<string, string>();
    if (existsSync(RESULTS_FILE)) {
      const text = readFileSync(RESULTS_FILE, 'utf8');
      for (const match of text.matchAll(/<!-- section:([\w-]+) -->\n([\s\S]*?)<!-- \/section -->\n/g))
        sections.set(match[1], match[2]);
    }
    const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    sections.set(id, `## ${title}\n\n_Last run: ${when}, Node ${process.version}._\n\n${lines.join('\n')}\n\n`);
    const ids = [...ORDER.filter((s) => sections.has(s)), ...[...sections.keys()].filter((s) => !ORDER.includes(s)).sort()];
    const body = ids.map((s) => `<!-- section:${s} -->\n${sections.get(s)}<!-- /section -->\n`).join('\n');
    const temp = `${RESULTS_FILE}.${process.pid}.tmp`;
    writeFileSync(temp, `${HEADER}\n${body}`);
    renameSync(temp, RESULTS_FILE);
  });
}

function withLock(work: () => void): void {
  const lock = `${RESULTS_FILE}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      // A lock older than 30 s was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { force: true });
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`could not lock ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** A markdown table. */
export function table(header: string[], rows: (string | number)[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}
