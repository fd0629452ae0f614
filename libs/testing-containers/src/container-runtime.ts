import { spawnSync } from 'node:child_process';

export type ContainerProbe = { ok: true } | { ok: false; reason: string };

/**
 * Whether containers can run here: a container runtime answers and every image is present or
 * can be pulled. Synchronous (a child node process does the asynchronous work) so that a spec
 * can decide between `describe` and `describe.skip` while jest collects its tests.
 */
export function probeContainerRuntime(images: string[], timeoutMs = 10 * 60_000): ContainerProbe {
  const script = `
    const { getContainerRuntimeClient, ImageName } = require(process.env.PROBE_TESTCONTAINERS);
    const say = (o) => { process.stdout.write('\\nPROBE ' + JSON.stringify(o) + '\\n'); process.exit(0); };
    (async () => {
      let client;
      try { client = await getContainerRuntimeClient(); }
      catch (e) { return say({ ok: false, reason: 'no container runtime: ' + ((e && e.message) || e) }); }
      for (const image of JSON.parse(process.env.PROBE_IMAGES)) {
        const name = ImageName.fromString(image);
        try { if (!(await client.image.exists(name))) await client.image.pull(name); }
        catch (e) { return say({ ok: false, reason: 'cannot pull ' + image + ': ' + ((e && e.message) || e) }); }
      }
      say({ ok: true });
    })().catch((e) => say({ ok: false, reason: String((e && e.message) || e) }));
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, PROBE_TESTCONTAINERS: require.resolve('testcontainers'), PROBE_IMAGES: JSON.stringify(images) },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (result.error) return { ok: false, reason: `container runtime probe failed: ${result.error.message}` };
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('PROBE '));
  if (!line) {
    return {
      ok: false,
      reason: `container runtime probe printed no answer (exit ${result.status}): ${result.stderr.trim().slice(0, 300)}`,
    };
  }
  return JSON.parse(line.slice('PROBE '.length)) as ContainerProbe;
}

/** TESTCONTAINERS_REQUIRED=1 makes a missing runtime fail the run instead of skipping (CI with Docker). */
export function containersRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.TESTCONTAINERS_REQUIRED ?? '');
}

/**
 * `describe` when the images can run, else `describe.skip` with the reason printed and in the
 * title: the suite then shows as skipped, never as passed.
 */
export function describeWithContainers(name: string, images: string[], body: () => void): void {
  const probe = probeContainerRuntime(images);
  if (probe.ok) {
    describe(name, body);
    return;
  }
  const message = `[${name}] SKIPPED: ${probe.reason}`;
  if (containersRequired()) throw new Error(message);
  // Straight to stderr: jest hides console output of a suite whose tests are all skipped.
  process.stderr.write(`${message}\n`);
  describe.skip(`${name} (skipped: ${probe.reason})`, body);
}
