/**
 * Finding a WebGPU adapter in Node through Dawn (the `webgpu` npm package:
 * Vulkan on Linux, Metal on macOS, D3D12 on Windows), and telling a real GPU
 * from a CPU-emulated one.
 */
import type { WatchedDevice } from './device-errors';
import { requireOptional } from './require-optional';

/** The parts of the WebGPU API this layer touches (the full types are @webgpu/types). */
export interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapter {
  readonly info: GpuAdapterInfo;
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor?: object): Promise<GpuDevice>;
}
export interface GpuDevice extends WatchedDevice {
  destroy(): void;
}
export interface Gpu {
  requestAdapter(options?: object): Promise<GpuAdapter | null>;
}
/** What the `webgpu` package exports. */
export interface Dawn {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** Thrown when no usable WebGPU adapter is found; `reason` is one line. */
export class WebGpuUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WebGpuUnavailable';
  }
}

/** An adapter Dawn found, with how it was found. */
export interface FoundAdapter {
  gpu: Gpu;
  adapter: GpuAdapter;
  /** The Dawn backend asked for: 'default' (Vulkan, Metal or D3D12) or 'opengles'. */
  dawnBackend: 'default' | 'opengles';
  /** Vendor, architecture, device and driver, as the adapter reports them. */
  description: string;
  /** True for a CPU-emulated adapter (llvmpipe, lavapipe, SwiftShader, WARP). */
  software: boolean;
}

// Mesa's llvmpipe/softpipe/lavapipe, Google's SwiftShader, Microsoft's WARP ("Basic Render Driver").
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software rasteri[sz]er|basic render driver|\bwarp\b/i;

/** The adapter's own words, without empty or repeated fields. */
export function describeAdapter(info: GpuAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((p): p is string => typeof p === 'string' && p !== '');
  return [...new Set(parts)].join(', ') || 'an adapter that gives no description';
}

/** Whether an adapter is emulated on the CPU: WebGPU's fallback flag, or a known software driver's name. */
export function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  return info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(describeAdapter(info));
}

/** Loads Dawn from the `webgpu` package; throws WebGpuUnavailable with an install hint. */
export function loadDawn(): Dawn {
  let dawn: Dawn | undefined;
  try {
    dawn = requireOptional('webgpu') as Dawn | undefined;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const hint = err.code === 'ERR_REQUIRE_ESM' ? ' (it is an ES module: Node 20.19 or later loads it)' : '';
    throw new WebGpuUnavailable(`the webgpu package is installed but failed to load${hint}: ${err.message.split('\n')[0]}`);
  }
  if (dawn === undefined) throw new WebGpuUnavailable('the webgpu package is not installed; install it with `npm install webgpu`');
  if (typeof dawn.create !== 'function') throw new WebGpuUnavailable('the webgpu package has no create(): an unsupported version');
  return dawn;
}

interface Attempt {
  dawnBackend: FoundAdapter['dawnBackend'];
  label: string;
  options: string[];
  request: object;
  /** What to install or set when this attempt finds nothing. */
  hint: () => string;
}

function attempts(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Attempt[] {
  const native = platform === 'darwin' ? 'Metal' : platform === 'win32' ? 'D3D12' : 'Vulkan';
  const list: Attempt[] = [
    {
      dawnBackend: 'default',
      label: `Dawn on ${native}`,
      options: [],
      request: { powerPreference: 'high-performance' },
      hint: () => (platform === 'linux' ? ' (needs libvulkan1 and the GPU vendor’s Vulkan driver)' : ''),
    },
  ];
  // Dawn's OpenGL ES backend through EGL: Linux GPUs without a Vulkan driver, and Mesa's llvmpipe.
  // Its adapters only offer WebGPU's 'compatibility' feature level.
  if (platform === 'linux') {
    list.push({
      dawnBackend: 'opengles',
      label: 'Dawn on OpenGL ES (compatibility)',
      options: ['backend=opengles'],
      request: { powerPreference: 'high-performance', featureLevel: 'compatibility' },
      hint: () =>
        env.EGL_PLATFORM === undefined && env.DISPLAY === undefined && env.WAYLAND_DISPLAY === undefined
          ? ' (without a display, set EGL_PLATFORM=surfaceless before starting Node; needs libegl1 and libgl1-mesa-dri)'
          : ' (needs libegl1 and libgl1-mesa-dri)',
    });
  }
  return list;
}

/**
 * Asks Dawn for an adapter: its native backend first, then (Linux) OpenGL ES.
 * Takes the first hardware adapter; without one, the first software adapter
 * unless `hardwareOnly`. Throws WebGpuUnavailable saying what each attempt found.
 */
export async function findAdapter(
  dawn: Dawn,
  {
    hardwareOnly = false,
    platform = process.platform,
    env = process.env,
  }: { hardwareOnly?: boolean; platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): Promise<FoundAdapter> {
  const found: string[] = [];
  let software: FoundAdapter | undefined;
  for (const attempt of attempts(platform, env)) {
    let adapter: GpuAdapter | null;
    let gpu: Gpu;
    try {
      gpu = dawn.create(attempt.options);
      adapter = await gpu.requestAdapter(attempt.request);
    } catch (error) {
      found.push(`${attempt.label}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (adapter === null) {
      found.push(`${attempt.label}: no adapter${attempt.hint()}`);
      continue;
    }
    const candidate: FoundAdapter = {
      gpu,
      adapter,
      dawnBackend: attempt.dawnBackend,
      description: describeAdapter(adapter.info),
      software: isSoftwareAdapter(adapter.info),
    };
    if (!candidate.software) return candidate;
    found.push(`${attempt.label}: only a software adapter (${candidate.description})`);
    software ??= candidate;
  }
  if (software !== undefined && !hardwareOnly) return software;
  throw new WebGpuUnavailable(`no ${hardwareOnly ? 'hardware ' : ''}WebGPU adapter (${found.join('; ')})`);
}
