// One jest config, one project per kind of spec (STYLE.md): unit, e2e (HTTP), int (real engines), reliability.
const { pathsToModuleNameMapper } = require('./tools/jest-paths');
const swcOptions = require('./tools/swc-options');

const transform = {
  '^.+\\.ts$': ['@swc/jest', swcOptions],
  // A few dependencies ship ESM only (content-disposition, under @fastify/static): compile them to CJS.
  '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};

const base = {
  rootDir: __dirname,
  transform,
  moduleNameMapper: pathsToModuleNameMapper(),
  testEnvironment: 'node',
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/apps', '<rootDir>/tools'],
};

module.exports = {
  // Jest reads the timeout globally; engine and reliability specs set longer ones in their files.
  testTimeout: 120_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], testTimeout: 60_000 },
    { ...base, displayName: 'int', testMatch: ['**/*.int-spec.ts'], testTimeout: 180_000 },
    { ...base, displayName: 'reliability', testMatch: ['**/*.rel-spec.ts'], testTimeout: 600_000 },
  ],
};
