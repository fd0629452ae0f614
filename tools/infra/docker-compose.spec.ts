import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** CI has no Docker engine: this checks the compose file's syntax and wiring instead of `docker compose config`. */
describe('docker-compose.yml', () => {
  const root = join(__dirname, '..', '..');
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, any>;
    volumes?: Record<string, unknown>;
  };
  const services = compose.services;

  it('runs the three engines and the four services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['kurrentdb', 'kafka', 'mongo', 'queue', 'booking', 'wallet', 'gateway']));
  });

  it('gives every long-running container an image or a build, and a healthcheck to engines and the gateway', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build).toBeDefined();
      if (['kurrentdb', 'kafka', 'mongo', 'gateway'].includes(name)) expect(service.healthcheck?.test).toBeDefined();
    }
  });

  it('points depends_on only at services that exist', () => {
    for (const service of Object.values(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(services[dependency]).toBeDefined();
    }
  });

  it('runs each app service in distributed mode against the engines, all from one Dockerfile', () => {
    for (const name of ['queue', 'booking', 'wallet', 'gateway']) {
      const s = services[name];
      expect(s.build).toBe('.');
      expect(s.environment).toMatchObject({ MODE: 'distributed', KAFKA_BROKERS: 'kafka:9092' });
      expect(s.environment.MONGO_URL).toMatch(/^mongodb:\/\/mongo:27017\//);
      expect(s.environment.EVENTSTORE_URL).toMatch(/^kurrentdb:\/\/kurrentdb:2113/);
      expect(s.command).toEqual(['node', '-r', './tools/register.js', 'apps/distributed/src/main.ts', name]);
    }
    expect(services.gateway.ports).toContain('3000:3000');
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/^FROM node:20/m);
  });

  it('declares every named volume it mounts', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0];
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes?.[source]).toBeDefined();
      }
    }
  });
});
