const { compilerOptions } = require('../tsconfig.base.json');

/** Maps the tsconfig path aliases (@concert/*) for jest. */
exports.pathsToModuleNameMapper = () =>
  Object.fromEntries(
    Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
  );
