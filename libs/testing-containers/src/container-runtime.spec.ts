import { containersRequired, probeContainerRuntime } from './container-runtime';

describe('container runtime probe', () => {
  it('answers ok, or not ok with a reason, without throwing', () => {
    const probe = probeContainerRuntime([], 60_000);
    if (!probe.ok) expect(probe.reason).toMatch(/\S/);
    else expect(probe).toEqual({ ok: true });
  });

  it('treats TESTCONTAINERS_REQUIRED=1/true/yes as required, anything else as optional', () => {
    for (const v of ['1', 'true', 'YES']) expect(containersRequired({ TESTCONTAINERS_REQUIRED: v })).toBe(true);
    for (const v of [undefined, '', '0', 'false']) expect(containersRequired({ TESTCONTAINERS_REQUIRED: v })).toBe(false);
  });
});
