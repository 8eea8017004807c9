/** The `kernel_info_reply` content: who this kernel is and what language it speaks. */
import type { KernelInfoReply } from './content';
import { PROTOCOL_VERSION } from './messages';

export function buildKernelInfo(version: string): KernelInfoReply {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'fedbook',
    implementation_version: version,
    language_info: {
      name: 'typescript',
      version: '5',
      mimetype: 'text/typescript',
      file_extension: '.ts',
      codemirror_mode: 'typescript',
      pygments_lexer: 'typescript',
    },
    banner: `Fedbook ${version}: federated learning in TypeScript (Node ${process.version}). The \`fed\` namespace is in scope; help(x) shows documentation.`,
    help_links: [],
    debugger: false,
  };
}
