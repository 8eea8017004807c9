/**
 * Max pooling through oneDNN 2.x's C API, forward (training: it records in a
 * workspace which input each output came from) and backward (routes each
 * output gradient to that input), on NHWC activations with 'valid' padding.
 * One MaxPooling per geometry and batch size; its primitives and workspace
 * are created once and reused every step.
 */
import type { Dnnl } from './dnnl';
import { bindDnnl, DNNL as C, execute, i64, memoryDesc, Owned } from './dnnl-primitives';

/** One example's pooling window: input and output sizes (NHWC), window and strides; the compiled plan's maxPool op holds the same. */
export interface PoolWindow {
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
}

export interface PoolGeometry extends PoolWindow {
  batch: number;
  /**
   * The pooled values went through a ReLU applied before the pool (max(0, ·) commutes with max pooling):
   * backward then takes the ReLU's gradient first, zeroing dy where the pooled value is not positive.
   */
  relu?: boolean;
}

export interface MaxPooling {
  /** y = maxPool(x); remembers the winners for `backward`. */
  forward(x: Float32Array, y: Float32Array): void;
  /**
   * dx = the gradient dy routed to the inputs the last `forward` picked (dx is overwritten, zeros included).
   * With `relu`, dy is first zeroed (in place) where `y`, the pooled output, is not positive.
   */
  backward(dy: Float32Array, dx: Float32Array, y?: Float32Array): void;
  /** Frees the oneDNN primitives and memory objects; the pooling cannot be used afterwards. */
  dispose(): void;
}

/** Checks the geometry (positive integers, 'valid' output size) before anything reaches C. */
export function checkPoolGeometry(g: PoolGeometry): void {
  for (const [name, value] of Object.entries(g)) {
    if (name === 'relu') continue;
    if (!Number.isInteger(value) || value < 1 || value > 1 << 24) throw new RangeError(`max pooling: ${name} must be an integer ≥ 1, got ${value}`);
  }
  const expectH = Math.floor((g.inH - g.ph) / g.sh) + 1;
  const expectW = Math.floor((g.inW - g.pw) / g.sw) + 1;
  if (expectH !== g.outH || expectW !== g.outW)
    throw new RangeError(`max pooling: output ${g.outH}×${g.outW} does not follow from the input, pool size and strides (${expectH}×${expectW})`);
}

export function createMaxPooling(dnnl: Dnnl, g: PoolGeometry): MaxPooling {
  checkPoolGeometry(g);
  const b = bindDnnl(dnnl);
  const src = memoryDesc(b, [g.batch, g.channels, g.inH, g.inW], C.nhwc);
  const dst = memoryDesc(b, [g.batch, g.channels, g.outH, g.outW], C.nhwc);
  const strides = i64([g.sh, g.sw]),
    kernel = i64([g.ph, g.pw]),
    // 'valid': no padding; rows and columns no window reaches are left out (floor division, as in tfjs).
    padL = i64([0, 0]),
    padR = i64([0, 0]);
  const owned = new Owned(b);
  const fwd = owned.primitive((d) => b.poolForward(d, C.forwardTraining, C.poolingMax, src, dst, strides, kernel, padL, padR), 'max pooling forward', null);
  const bwd = owned.primitive((d) => b.poolBackward(d, C.poolingMax, src, dst, strides, kernel, padL, padR), 'max pooling backward', fwd.pd);
  const workspaceMd = b.queryMd(fwd.pd, C.query.workspace, 0);
  if (!workspaceMd) throw new Error('oneDNN: max pooling forward has no workspace');
  const workspace = new Uint8Array(Number(b.mdSize(workspaceMd)));
  const mem = { src: owned.memory(src), dst: owned.memory(dst), workspace: owned.memory(workspaceMd) };
  // The ReLU's gradient, in place on dy, from the pooled output (a 1-D eltwise over the batch's values).
  const flat = memoryDesc(b, [g.batch * g.outH * g.outW * g.channels], C.x);
  const reluFwd = g.relu ? owned.primitive((d) => b.eltwiseForward(d, C.forwardTraining, C.eltwiseReluUseDst, flat, 0, 0), 'relu forward', null) : null;
  const reluBwd = g.relu && reluFwd ? owned.primitive((d) => b.eltwiseBackward(d, C.eltwiseReluUseDst, flat, flat, 0, 0), 'relu backward', reluFwd.pd) : null;
  const flatMem = g.relu ? { dst: owned.memory(flat), diffDst: owned.memory(flat), diffSrc: owned.memory(flat) } : null;
  const sizes = { src: g.batch * g.inH * g.inW * g.channels, dst: g.batch * g.outH * g.outW * g.channels };
  const need = (array: Float32Array, size: number, what: string) => {
    if (!(array instanceof Float32Array) || array.length < size)
      throw new RangeError(`max pooling: ${what} needs ${size} values, got ${array?.length ?? 'none'}`);
  };
  let disposed = false,
    forwarded = false;
  const live = () => {
    if (disposed) throw new Error('max pooling: used after dispose()');
  };
  return {
    forward(x, y) {
      live();
      need(x, sizes.src, 'x');
      need(y, sizes.dst, 'y');
      execute(b, fwd.primitive, [
        [C.arg.src, mem.src, x],
        [C.arg.dst, mem.dst, y],
        [C.arg.workspace, mem.workspace, workspace],
      ]);
      forwarded = true;
    },
    backward(dy, dx, y) {
      live();
      if (!forwarded) throw new Error('max pooling: backward() before any forward()');
      need(dy, sizes.dst, 'dy');
      need(dx, sizes.src, 'dx');
      if (reluBwd && flatMem) {
        need(y as Float32Array, sizes.dst, 'y');
        execute(b, reluBwd.primitive, [
          [C.arg.dst, flatMem.dst, y!],
          [C.arg.diffDst, flatMem.diffDst, dy],
          [C.arg.diffSrc, flatMem.diffSrc, dy],
        ]);
      }
      execute(b, bwd.primitive, [
        [C.arg.diffDst, mem.dst, dy],
        [C.arg.workspace, mem.workspace, workspace],
        [C.arg.diffSrc, mem.src, dx],
      ]);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      owned.dispose();
    },
  };
}
