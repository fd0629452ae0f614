// Loaded with `-r` into a server child when the bench runs with --profile. The CPU is sampled
// from boot; on SIGUSR2 the samples so far are written to `<BENCH_PROFILE_FILE>-<label>.cpuprofile`
// (label read from `<BENCH_PROFILE_FILE>.label`), `<…>.done` is touched, and sampling starts afresh.
const { Session } = require('node:inspector');
const { readFileSync, writeFileSync } = require('node:fs');

const base = process.env.BENCH_PROFILE_FILE;
if (base) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  process.on('SIGUSR2', () => {
    let label = 'segment';
    try {
      label = readFileSync(`${base}.label`, 'utf8').trim() || label;
    } catch {
      // no label: keep the default
    }
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(`${base}-${label}.cpuprofile`, JSON.stringify(result.profile));
      session.post('Profiler.start', () => writeFileSync(`${base}.done`, err ? String(err) : label));
    });
  });
}
