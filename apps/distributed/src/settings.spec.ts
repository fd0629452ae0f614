import { isProcessRole, loadDistributedSettings } from './settings';

describe('distributed settings', () => {
  it('defaults: no namespace, 6 partitions, 10 s requests, 50 ms store poll', () => {
    const s = loadDistributedSettings({});
    expect(s).toMatchObject({ kafkaNamespace: '', kafkaPartitions: 6, requestTimeoutMs: 10_000, storePollMs: 50 });
    expect(s.instanceId).toMatch(/#1$/);
  });

  it('reads the knobs and names the instance', () => {
    const s = loadDistributedSettings({
      KAFKA_NAMESPACE: 'staging.',
      KAFKA_PARTITIONS: '12',
      REQUEST_TIMEOUT_MS: '3000',
      INSTANCE_ID: '2',
    });
    expect(s).toMatchObject({ kafkaNamespace: 'staging.', kafkaPartitions: 12, requestTimeoutMs: 3000 });
    expect(s.instanceId).toMatch(/#2$/);
  });

  it('rejects bad values, naming each', () => {
    expect(() => loadDistributedSettings({ KAFKA_PARTITIONS: '0', KAFKA_NAMESPACE: 'a b' })).toThrow(
      /KAFKA_PARTITIONS[\s\S]*KAFKA_NAMESPACE|KAFKA_NAMESPACE[\s\S]*KAFKA_PARTITIONS/,
    );
  });

  it('knows the four process roles', () => {
    expect(['queue', 'booking', 'wallet', 'gateway'].every(isProcessRole)).toBe(true);
    expect(isProcessRole('embedded')).toBe(false);
    expect(isProcessRole(undefined)).toBe(false);
  });
});
