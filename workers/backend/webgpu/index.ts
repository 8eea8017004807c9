/**
 * The WebGPU backend: @tensorflow/tfjs-backend-webgpu on a device from Dawn
 * (the `webgpu` npm package). Both are optional packages, required lazily; the
 * backend is accepted only after a probe computes the right numbers.
 *
 * WebGPU cannot read a tensor synchronously in Node (tfjs's readSync needs
 * OffscreenCanvas), so code that trains on it reads with `await data()`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { type Dawn, findAdapter, loadDawn, type FoundAdapter, type Gpu, type GpuAdapter, WebGpuUnavailable } from './adapter';
import { failReadsOnDeviceError, watchDevice } from './device-errors';
import { requireOptional } from './require-optional';

export { describeAdapter, isSoftwareAdapter, WebGpuUnavailable } from './adapter';

const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';

/** What activateWebGpu made active. */
export interface ActiveWebGpu {
  /** One line: the tfjs-backend-webgpu version and the adapter, saying when it is a software one. */
  detail: string;
  /** The adapter's own description (vendor, architecture, device, driver). */
  adapter: string;
  /** True when the adapter is CPU-emulated. */
  software: boolean;
}

/**
 * Finds an adapter, creates a device, registers tfjs's 'webgpu' backend on it,
 * makes it active and probes it. With `hardwareOnly`, a CPU-emulated adapter
 * is refused. Throws WebGpuUnavailable with a one-line reason otherwise.
 */
export async function activateWebGpu(tf: typeof tfTypes, { hardwareOnly = false } = {}): Promise<ActiveWebGpu> {
  const backendModule = loadTfjsWebGpu(tf);
  const dawn = loadDawn();
  const found = await findAdapter(dawn, { hardwareOnly });
  const device = await requestDevice(found.adapter).catch((error: Error) => {
    throw new WebGpuUnavailable(`${found.description}: requestDevice failed: ${error.message.split('\n')[0]}`);
  });
  const takeError = watchDevice(device);
  installNavigatorGpu(dawn, found.gpu);
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  // Priority 0: never picked by tfjs on its own, only by setBackend.
  tf.registerBackend('webgpu', () => failReadsOnDeviceError(new backendModule.WebGPUBackend(device, found.adapter.info), takeError), 0);
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') returned false");
    await probe(tf);
  } catch (error) {
    tf.removeBackend('webgpu');
    device.destroy();
    throw new WebGpuUnavailable(`${TFJS_WEBGPU} failed its probe on ${found.description}: ${(error as Error).message.split('\n')[0]}`);
  }
  return { detail: describe(found), adapter: found.description, software: found.software };
}

function describe(found: FoundAdapter): string {
  const dawn = `Dawn from webgpu ${packageVersion('webgpu')}`;
  const via = found.dawnBackend === 'opengles' ? `${dawn}, on OpenGL ES in compatibility mode` : dawn;
  const software = found.software ? '; a software (CPU-emulated) adapter: correct, but no faster than WASM' : '';
  return `${TFJS_WEBGPU} ${packageVersion(TFJS_WEBGPU)} on ${found.description} (${via})${software}`;
}

function packageVersion(name: string): string {
  try {
    return (requireOptional(`${name}/package.json`) as { version?: string } | undefined)?.version ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

interface TfjsWebGpu {
  WebGPUBackend: new (device: unknown, adapterInfo: unknown) => tfTypes.KernelBackend;
}

function loadTfjsWebGpu(tf: typeof tfTypes): TfjsWebGpu {
  let loaded: TfjsWebGpu | undefined;
  try {
    loaded = requireOptional(TFJS_WEBGPU) as TfjsWebGpu | undefined;
  } catch (error) {
    throw new WebGpuUnavailable(`${TFJS_WEBGPU} is installed but failed to load: ${(error as Error).message.split('\n')[0]}`);
  }
  if (loaded === undefined) throw new WebGpuUnavailable(`${TFJS_WEBGPU} is not installed; install it with \`npm install ${TFJS_WEBGPU}@${tf.version_core}\``);
  // Its kernels register with the tfjs-core it resolves; a second copy of tfjs-core would leave ours without them.
  if (tf.getKernel('BatchMatMul', 'webgpu') === undefined) {
    throw new WebGpuUnavailable(
      `${TFJS_WEBGPU} registered its kernels with another copy of @tensorflow/tfjs-core (install the version of @tensorflow/tfjs, ${tf.version_core})`,
    );
  }
  return loaded;
}

/** The limits tfjs-backend-webgpu's own factory asks for: the adapter's, not WebGPU's small defaults. */
function requestDevice(adapter: GpuAdapter) {
  const limits = adapter.limits;
  const requiredLimits = Object.fromEntries(
    [
      'maxComputeWorkgroupStorageSize',
      'maxComputeWorkgroupsPerDimension',
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxComputeWorkgroupSizeX',
      'maxComputeInvocationsPerWorkgroup',
    ].map((name) => [name, limits[name]]),
  );
  return adapter.requestDevice({ requiredLimits });
}

/**
 * tfjs-backend-webgpu looks for `navigator.gpu` and WebGPU's constants
 * (GPUBufferUsage, GPUMapMode...) as globals, as in a browser. Node 20 has no
 * navigator; Node 21+ has one without `gpu`. Existing globals are left alone.
 */
function installNavigatorGpu(dawn: Dawn, gpu: Gpu): void {
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const scope = globalThis as { navigator?: object };
  if (scope.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/** A matMul and a conv2d filter gradient, read back asynchronously; throws unless both are right. */
async function probe(tf: typeof tfTypes): Promise<void> {
  const [product, grad] = tf.tidy(() => {
    const x = tf.ones([1, 3, 3, 1]) as tfTypes.Tensor4D;
    return [
      tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])),
      tf.grad((f: tfTypes.Tensor) => tf.conv2d(x, f as tfTypes.Tensor4D, 1, 'valid').sum())(tf.ones([2, 2, 1, 1])),
    ];
  });
  try {
    const values = (await product.data()) as Float32Array;
    if (!values.every((v) => v === 3)) throw new Error(`probe matMul gave [${Array.from(values)}], expected all 3`);
    // Each filter tap sees 4 of the 9 ones: the gradient is 4 everywhere.
    const taps = (await grad.data()) as Float32Array;
    if (!taps.every((v) => v === 4)) throw new Error(`probe conv2d gradient gave [${Array.from(taps)}], expected all 4`);
  } finally {
    product.dispose();
    grad.dispose();
  }
}
