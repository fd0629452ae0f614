import { randomUUID } from 'node:crypto';
import { KafkaContainer, StartedKafkaContainer } from '@testcontainers/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { describeWithContainers } from './container-runtime';

// The Kafka module expects Confluent's image; 8.x runs KRaft (Kafka 4.x). kafkajs 2.2.4 against
// Kafka 4 is what this spec checks (ENGINES.md: unconfirmed until it has run).
const IMAGE = 'confluentinc/cp-kafka:8.3.0';
const HOST_PORT = 9093;

describeWithContainers(`Kafka ${IMAGE} with kafkajs (testcontainers)`, [IMAGE], () => {
  let container: StartedKafkaContainer | undefined;
  let kafka: Kafka;

  beforeAll(async () => {
    container = await new KafkaContainer(IMAGE).start();
    kafka = new Kafka({
      clientId: 'testing-containers',
      brokers: [`${container.getHost()}:${container.getMappedPort(HOST_PORT)}`],
      logLevel: logLevel.ERROR,
    });
  }, 300_000);

  afterAll(async () => {
    await container?.stop();
  }, 60_000);

  it('produces one message and consumes it back', async () => {
    const topic = `tc-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer();
    await producer.connect();
    const value = JSON.stringify({ type: 'SeatHeld', id: randomUUID() });
    try {
      await producer.send({ topic, messages: [{ key: 'booking-seat-1', value }] });
    } finally {
      await producer.disconnect();
    }

    const consumer = kafka.consumer({ groupId: `tc-group-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key?: string; value?: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 60 s')), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({ key: message.key?.toString(), value: message.value?.toString() });
          },
        });
      });
      expect(received).toEqual({ key: 'booking-seat-1', value });
    } finally {
      await consumer.disconnect();
    }
  });
});
