// Runs the TypeScript sources directly: SWC transpiles with the base tsconfig (paths, decorator metadata).
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
