/** Which TensorFlow.js backend a run asks for; the run records the one that really ran. */
export const BACKEND_PREFERENCES = ['auto', 'native', 'gpu', 'webgpu', 'wasm', 'cpu'] as const;

/** 'auto': native tfjs-node if it loads, else WASM, else pure-JS CPU; 'webgpu': WebGPU through Dawn; 'gpu': WebGPU on a hardware adapter, else tfjs-node-gpu. */
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
