/** Package entry: `import { fed } from 'fedbook'`. */
export { fed } from './api/index';
export type { Fed } from './api/index';
