/** Which TensorFlow.js backend (or training path) a run asks for. */
export type BackendPreference = 'auto' | 'native' | 'gpu' | 'wasm' | 'cpu';
