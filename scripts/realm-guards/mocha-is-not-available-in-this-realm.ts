// tsconfig.base.json maps the module `mocha` to this file for every realm but test/extension-host/:
// @types/mocha declares describe/it/before as globals, which would hide a missing
// `import { describe, it } from 'node:test'` in the unit tests. Only the extension-host suites run under mocha.
// biome-ignore lint/correctness/noUnusedVariables: declared only for its type error
const mocha: 'is not available in this realm: only test/extension-host/ runs under mocha' = 'imported';
