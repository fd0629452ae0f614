// How the TypeScript sources are compiled, by jest (@swc/jest) and by tools/register.js alike:
// decorators with their metadata (Nest's dependency injection reads it), ES2022, CommonJS.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
