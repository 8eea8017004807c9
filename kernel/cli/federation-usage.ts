/** Usage lines of the federation's commands (kept apart so that main.ts loads nothing of the federation). */
export const FEDERATION_USAGE = `  fedbook keys new [--out DIR] [--name NAME]                 write NAME.key (mode 0600) and NAME.pub (default ./keys/fedbook)
  fedbook client --server tcp://HOST:PORT --server-key KEY --key FILE --data PATH
                 [--label COL] [--features A,B,…] [--name NAME] [--backend auto|wasm|cpu|native] [--connect-timeout S]
                                                             join a federation with this machine's own data
  fedbook worker --server tcp://HOST:PORT --server-key KEY --key FILE
                 [--name NAME] [--threads N] [--cache DIR] [--connect-timeout S]
                                                             lend this machine's cores to a notebook's simulation
                                                             (fed.federation.scaleOut); datasets cached in --cache,
                                                             else $FEDBOOK_CACHE, else ~/.cache/fedbook
`;
