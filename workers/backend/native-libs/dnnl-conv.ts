/**
 * 2-D convolutions through oneDNN 2.x's C API: forward (bias fused), backward
 * data and backward weights (+ bias), on tfjs's own layouts (NHWC activations,
 * HWIO kernels), so no reorders are needed. One Convolution per geometry and
 * batch size; its primitives are created once and reused every step.
 */
import type { Dnnl } from './dnnl';
import { bindDnnl, DNNL as C, execute, i64, memoryDesc, out, Owned, type ExecArg } from './dnnl-primitives';

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding top, left, bottom, right. */
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  bias: boolean;
  /** Forward applies max(0, ·) to its result inside the kernel (a oneDNN post-op); backward is unchanged. */
  relu?: boolean;
}

export interface Convolution {
  /** y = conv(x, w) + b, or max(0, conv(x, w) + b) with `relu`. */
  forward(x: Float32Array, w: Float32Array, b: Float32Array | undefined, y: Float32Array): void;
  /** dx = conv_transpose(dy, w). */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw, db from x and dy (overwritten, not accumulated). */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | undefined): void;
  /** Frees the oneDNN primitives and memory objects; the convolution cannot be used afterwards. */
  dispose(): void;
}

/** Checks the geometry (positive integers, consistent output size) before anything reaches C. */
export function checkConvGeometry(g: ConvGeometry): void {
  for (const [name, value] of Object.entries(g)) {
    if (name === 'bias' || name === 'relu') continue;
    const min = ['pt', 'pl', 'pb', 'pr'].includes(name) ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > 1 << 24) throw new RangeError(`convolution: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  const expectH = Math.floor((g.inH + g.pt + g.pb - g.kh) / g.sh) + 1;
  const expectW = Math.floor((g.inW + g.pl + g.pr - g.kw) / g.sw) + 1;
  if (expectH !== g.outH || expectW !== g.outW)
    throw new RangeError(`convolution: output ${g.outH}×${g.outW} does not follow from the input, kernel, strides and padding (${expectH}×${expectW})`);
}

export function createConvolution(dnnl: Dnnl, g: ConvGeometry): Convolution {
  checkConvGeometry(g);
  const b = bindDnnl(dnnl);
  const md = (dims: number[], tag: number) => memoryDesc(b, dims, tag);
  // oneDNN's logical dimensions are N, C, H, W and O, I, H, W; the tags give tfjs's physical layouts.
  const src = md([g.batch, g.inC, g.inH, g.inW], C.nhwc);
  // Weights in the layout each primitive prefers ('any'): with NHWC activations oneDNN then picks its fast
  // direct kernels (brgconv / jit) instead of gemm-based ones; the kernel is reordered from and to HWIO each step.
  const weights = md([g.outC, g.inC, g.kh, g.kw], C.any);
  const userWeights = md([g.outC, g.inC, g.kh, g.kw], C.hwio);
  const bias = g.bias ? md([g.outC], C.x) : null;
  const dst = md([g.batch, g.outC, g.outH, g.outW], C.nhwc);
  const strides = i64([g.sh, g.sw]),
    padL = i64([g.pt, g.pl]),
    padR = i64([g.pb, g.pr]);
  const owned = new Owned(b);
  const fwd = owned.primitive(
    (d) => b.convForward(d, C.forwardTraining, C.convolutionDirect, src, weights, bias, dst, strides, padL, padR),
    'convolution forward',
    null,
    g.relu ? owned.reluAttr() : null,
  );
  const bwdData = owned.primitive(
    (d) => b.convBackwardData(d, C.convolutionDirect, src, weights, dst, strides, padL, padR),
    'convolution backward data',
    fwd.pd,
  );
  const bwdWeights = owned.primitive(
    (d) => b.convBackwardWeights(d, C.convolutionDirect, src, weights, bias, dst, strides, padL, padR),
    'convolution backward weights',
    fwd.pd,
  );
  const memory = (m: unknown) => owned.memory(m);
  const mem = { src: memory(src), userWeights: memory(userWeights), bias: bias ? memory(bias) : null, dst: memory(dst) };
  /** A weights buffer in the layout `primitiveDesc` chose, with reorders to and from tfjs's HWIO. */
  const blockedWeights = (primitiveDesc: unknown, query: number) => {
    const chosen = b.queryMd(primitiveDesc, query, 0);
    if (!chosen) throw new Error('oneDNN: no weights descriptor to query');
    const buffer = new Float32Array(Number(b.mdSize(chosen)) / 4);
    const handle = memory(chosen);
    const reorder = (from: unknown, to: unknown) => {
      const pd = out(b.reorderPdCreate, 'dnnl_reorder_primitive_desc_create', from, b.engine, to, b.engine, null);
      owned.pds.push(pd);
      const created = out(b.primitiveCreate, 'reorder: dnnl_primitive_create', pd);
      owned.primitives.push(created);
      return created;
    };
    return { buffer, handle, fromUser: reorder(userWeights, chosen), toUser: reorder(chosen, userWeights) };
  };
  const fwdWeights = blockedWeights(fwd.pd, C.query.weights);
  const bwdDataWeights = blockedWeights(bwdData.pd, C.query.weights);
  const bwdDiffWeights = blockedWeights(bwdWeights.pd, C.query.diffWeights);

  const sizes = { src: g.batch * g.inH * g.inW * g.inC, weights: g.kh * g.kw * g.inC * g.outC, bias: g.outC, dst: g.batch * g.outH * g.outW * g.outC };
  const need = (array: Float32Array | undefined, size: number, what: string) => {
    if (!(array instanceof Float32Array) || array.length < size)
      throw new RangeError(`convolution: ${what} needs ${size} values, got ${array?.length ?? 'none'}`);
  };
  const run = (prim: unknown, args: ExecArg[]) => execute(b, prim, args);
  type Arg = ExecArg;
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('convolution: used after dispose()');
  };
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      owned.dispose();
    },
    forward(x, w, bb, y) {
      live();
      need(x, sizes.src, 'x');
      need(w, sizes.weights, 'w');
      need(y, sizes.dst, 'y');
      if (g.bias) need(bb, sizes.bias, 'b');
      run(fwdWeights.fromUser, [
        [C.arg.src, mem.userWeights, w],
        [C.arg.dst, fwdWeights.handle, fwdWeights.buffer],
      ]);
      run(fwd.primitive, [
        [C.arg.src, mem.src, x],
        [C.arg.weights, fwdWeights.handle, fwdWeights.buffer],
        ...(g.bias ? [[C.arg.bias, mem.bias, bb!] as Arg] : []),
        [C.arg.dst, mem.dst, y],
      ]);
    },
    backwardData(dy, w, dx) {
      live();
      need(dy, sizes.dst, 'dy');
      need(w, sizes.weights, 'w');
      need(dx, sizes.src, 'dx');
      run(bwdDataWeights.fromUser, [
        [C.arg.src, mem.userWeights, w],
        [C.arg.dst, bwdDataWeights.handle, bwdDataWeights.buffer],
      ]);
      run(bwdData.primitive, [
        [C.arg.diffDst, mem.dst, dy],
        [C.arg.weights, bwdDataWeights.handle, bwdDataWeights.buffer],
        [C.arg.diffSrc, mem.src, dx],
      ]);
    },
    backwardWeights(x, dy, dw, db) {
      live();
      need(x, sizes.src, 'x');
      need(dy, sizes.dst, 'dy');
      need(dw, sizes.weights, 'dw');
      if (g.bias) need(db, sizes.bias, 'db');
      run(bwdWeights.primitive, [
        [C.arg.src, mem.src, x],
        [C.arg.diffDst, mem.dst, dy],
        [C.arg.diffWeights, bwdDiffWeights.handle, bwdDiffWeights.buffer],
        ...(g.bias ? [[C.arg.diffBias, mem.bias, db!] as Arg] : []),
      ]);
      run(bwdDiffWeights.toUser, [
        [C.arg.src, bwdDiffWeights.handle, bwdDiffWeights.buffer],
        [C.arg.dst, mem.userWeights, dw],
      ]);
    },
  };
}
