// tsconfig.base.json maps the module `vscode` to this file for every realm that cannot load it at
// run time: the kernel, the workers, the unit tests, the benchmarks and the webview. Only extension/
// and test/extension-host/ (VS Code's extension host) see @types/vscode. An import of 'vscode'
// anywhere else fails the build twice over: "File '.../vscode-is-not-available-in-this-realm.ts'
// is not a module" at the import, and the type error below (which a bare `import 'vscode'` reaches too).
// biome-ignore lint/correctness/noUnusedVariables: declared only for its type error
const vscode: 'is not available in this realm: only extension/ and test/extension-host/ may import it' = 'imported';
