/**
 * "Fedbook: New Federated Notebook": copies a template from the extension's
 * notebooks/ folder into the workspace and opens it with our kernel.
 */
import * as vscode from 'vscode';

/** Used when the extension ships no template: a notebook that names the fedbook kernelspec. */
export function fallbackTemplate(): string {
  const cell = (source: string[], type: 'code' | 'markdown' = 'code') =>
    type === 'code' ? { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source } : { cell_type: 'markdown', metadata: {}, source };
  return JSON.stringify(
    {
      cells: [
        cell(['# Federated averaging on MNIST\n'], 'markdown'),
        cell([
          'const { train, test } = await fed.datasets.mnist();\n',
          "const clients = fed.partition(train, { clients: 100, scheme: 'shards', shardsPerClient: 2, seed: 7 });\n",
        ]),
        cell([
          'const model = fed.models.mlp({ hidden: [200, 200] });\n',
          'const algo = fed.fedAvg({ model, clientsPerRound: 10, localEpochs: 1, batchSize: 10, clientLr: 0.1, seed: 1 });\n',
          'const run = await algo.run({ rounds: 20, clients, evaluate: test });\n',
        ]),
      ],
      metadata: {
        kernelspec: { name: 'fedbook', display_name: 'Fedbook (TypeScript)', language: 'typescript' },
        language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

export async function newNotebook(extensionUri: vscode.Uri): Promise<void> {
  let template: Uint8Array;
  try {
    template = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'notebooks', 'mnist-fedavg.ipynb'));
  } catch {
    template = new TextEncoder().encode(fallbackTemplate());
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  let target: vscode.Uri | undefined;
  if (folder) {
    for (let n = 1; n < 1000 && !target; n++) {
      const candidate = vscode.Uri.joinPath(folder, n === 1 ? 'federated.ipynb' : `federated-${n}.ipynb`);
      try {
        await vscode.workspace.fs.stat(candidate);
      } catch {
        target = candidate;
      }
    }
  } else {
    target = await vscode.window.showSaveDialog({ filters: { 'Jupyter notebook': ['ipynb'] }, saveLabel: 'Create federated notebook' });
  }
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, template);
  const notebook = await vscode.workspace.openNotebookDocument(target);
  await vscode.window.showNotebookDocument(notebook);
}
