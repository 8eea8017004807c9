/**
 * Keeps tfjs's "install our node backend" banner out of notebook output.
 *
 * The CPU backend prints it through console.warn on its first tensor write
 * when running in Node. Only that one message is dropped, and only while `fn`
 * runs; everything else still reaches the console.
 */
const BANNER = 'looks like you are running TensorFlow.js in Node.js';

/** Runs `fn` with tfjs's Node.js banner filtered out of console.warn. */
export async function withoutTfjsBanner<T>(fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.some((arg) => typeof arg === 'string' && arg.includes(BANNER))) return;
    warn.apply(console, args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}
