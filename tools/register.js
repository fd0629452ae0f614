// Runs the TypeScript sources directly (`node -r ./tools/register.js file.ts`). Each file is transpiled by
// SWC with the options jest uses (tools/swc-options.js) and the output is cached on disk by content, so a warm start loads neither SWC (~35 MB resident) nor TypeScript (~45 MB, which
// @swc-node/register loads to read the tsconfig). `@concert/*` imports resolve through tsconfig paths.
const fs = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const Module = require('node:module');

const root = path.join(__dirname, '..');
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
const aliases = new Map(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, path.join(root, target)]),
);
const cacheDir = process.env.TS_CACHE_DIR || path.join(root, 'node_modules', '.cache', 'concert-ts');

const OPTIONS = require('./swc-options');
const swcVersion = JSON.parse(fs.readFileSync(require.resolve('@swc/core/package.json'), 'utf8')).version;
const salt = `${swcVersion}:${JSON.stringify(OPTIONS)}`;

let swc;

function transpile(source, filename) {
  const key = createHash('sha1').update(salt).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  swc ??= require('@swc/core');
  const { code } = swc.transformSync(source, { ...OPTIONS, filename });
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed: concurrent processes never read half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  } catch {
    // a read-only tree still runs, only without the cache
  }
  return code;
}

Module._extensions['.ts'] = function loadTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

process.setSourceMapsEnabled(true);
