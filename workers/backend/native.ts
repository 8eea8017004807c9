/**
 * The native backends: @tensorflow/tfjs-node (libtensorflow on the CPU) and
 * @tensorflow/tfjs-node-gpu (CUDA). Both are optional packages, required lazily
 * and accepted only after a probe (a matMul and a conv2d gradient) computes the
 * right numbers.
 */
import type * as tfTypes from '@tensorflow/tfjs';

/** Which native package to try. */
export type NativeKind = 'native' | 'gpu';

/** npm package for each native kind. */
export const NATIVE_PACKAGES: Record<NativeKind, string> = {
  native: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};

/** Thrown when a native package is absent or fails its probe; `reason` is one line. */
export class NativeBackendUnavailable extends Error {
  constructor(
    readonly kind: NativeKind,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'NativeBackendUnavailable';
  }
}

function requireOptional(name: string): unknown {
  try {
    // A computed name keeps bundlers and tsc from resolving an absent package.
    return require(/* webpackIgnore: true */ `${name}`);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${name}'`)) {
      return undefined;
    }
    throw error;
  }
}

/** Runs a matMul and a conv2d filter gradient; throws unless both are right. */
export function probe(tf: typeof tfTypes): void {
  tf.tidy(() => {
    const product = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
    if (!product.every((v) => v === 3)) throw new Error(`probe matMul gave [${Array.from(product)}], expected all 3`);
    const x = tf.ones([1, 3, 3, 1]) as tfTypes.Tensor4D;
    const grad = tf.grad((f: tfTypes.Tensor) => tf.conv2d(x, f as tfTypes.Tensor4D, 1, 'valid').sum())(tf.ones([2, 2, 1, 1]));
    const values = grad.dataSync();
    // Each filter tap sees 4 of the 9 ones: the gradient is 4 everywhere.
    if (!values.every((v) => v === 4)) throw new Error(`probe conv2d gradient gave [${Array.from(values)}], expected all 4`);
  });
}

/**
 * Loads and probes a native backend, making it the active one. Throws
 * NativeBackendUnavailable with a one-line reason and install hint otherwise.
 */
export async function activateNative(kind: NativeKind): Promise<{ tf: typeof tfTypes; detail: string }> {
  const pkg = NATIVE_PACKAGES[kind];
  let tf: typeof tfTypes | undefined;
  try {
    tf = requireOptional(pkg) as typeof tfTypes | undefined;
  } catch (error) {
    throw new NativeBackendUnavailable(kind, `${pkg} is installed but failed to load: ${(error as Error).message.split('\n')[0]}`);
  }
  if (tf === undefined) {
    throw new NativeBackendUnavailable(kind, `${pkg} is not installed; install it with \`npm install ${pkg}\``);
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) throw new Error("tf.setBackend('tensorflow') returned false");
    probe(tf);
  } catch (error) {
    throw new NativeBackendUnavailable(kind, `${pkg} is installed but failed its probe: ${(error as Error).message.split('\n')[0]}`);
  }
  return { tf, detail: `${pkg} (tfjs ${tf.version_core})` };
}
