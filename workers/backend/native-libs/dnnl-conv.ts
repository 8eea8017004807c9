/**
 * 2-D convolutions through oneDNN 2.x's C API: forward (bias fused), backward
 * data and backward weights (+ bias), on tfjs's own layouts (NHWC activations,
 * HWIO kernels), so no reorders are needed. One Convolution per geometry and
 * batch size; its primitives are created once and reused every step.
 *
 * oneDNN 2.x passes memory and operation descriptors as caller-allocated
 * structs (a memory descriptor is 696 bytes in 2.6): the buffers here are
 * larger than any 2.x version needs.
 */
import type { Dnnl } from './dnnl';
import { createSignalGuard, type SignalGuard } from './ffi';

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
}

export interface Convolution {
  /** y = conv(x, w) + b. */
  forward(x: Float32Array, w: Float32Array, b: Float32Array | undefined, y: Float32Array): void;
  /** dx = conv_transpose(dy, w). */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw, db from x and dy (overwritten, not accumulated). */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | undefined): void;
  /** Frees the oneDNN primitives and memory objects; the convolution cannot be used afterwards. */
  dispose(): void;
}

const MD_BYTES = 2048,
  OP_DESC_BYTES = 16384;
const C = {
  cpu: 1,
  f32: 3,
  any: 1,
  nhwc: 20,
  hwio: 30,
  x: 2,
  inOrder: 1,
  query: { weights: 131, diffWeights: 132 },
  forwardTraining: 64,
  backwardData: 160,
  backwardWeights: 192,
  convolutionDirect: 1,
  arg: { src: 1, dst: 17, weights: 33, bias: 41, diffSrc: 129, diffDst: 145, diffWeights: 161, diffBias: 169 },
};

type Fn = (...args: unknown[]) => number;
interface Bindings {
  engine: unknown;
  stream: unknown;
  guard: SignalGuard;
  mdInitByTag: Fn;
  convForward: Fn;
  convBackwardData: Fn;
  convBackwardWeights: Fn;
  pdCreate: Fn;
  primitiveCreate: Fn;
  memoryCreate: Fn;
  setHandle: Fn;
  execute: Fn;
  wait: Fn;
  queryMd: (pd: unknown, what: number, index: number) => unknown;
  mdSize: (md: unknown) => number | bigint;
  reorderPdCreate: Fn;
  primitiveDestroy: Fn;
  pdDestroy: Fn;
  memoryDestroy: Fn;
}
const bound = new WeakMap<object, Bindings>();

function bind(dnnl: Dnnl): Bindings {
  let b = bound.get(dnnl.library);
  if (b) return b;
  const { koffi, library: lib } = dnnl;
  _execArgType ??= koffi.struct('fedbook_dnnl_exec_arg_t', { arg: 'int', memory: 'void *' });
  const f = (signature: string) => lib.func(signature) as Fn;
  const fns = {
    engineCreate: f('int dnnl_engine_create(_Out_ void **engine, int kind, size_t index)'),
    streamCreate: f('int dnnl_stream_create(_Out_ void **stream, void *engine, unsigned int flags)'),
    mdInitByTag: f('int dnnl_memory_desc_init_by_tag(void *md, int ndims, const int64_t *dims, int dt, int tag)'),
    convForward: f(
      'int dnnl_convolution_forward_desc_init(void *d, int prop, int alg, const void *src, const void *w, const void *bias, const void *dst, const int64_t *strides, const int64_t *pl, const int64_t *pr)',
    ),
    convBackwardData: f(
      'int dnnl_convolution_backward_data_desc_init(void *d, int alg, const void *dsrc, const void *w, const void *ddst, const int64_t *strides, const int64_t *pl, const int64_t *pr)',
    ),
    convBackwardWeights: f(
      'int dnnl_convolution_backward_weights_desc_init(void *d, int alg, const void *src, const void *dw, const void *dbias, const void *ddst, const int64_t *strides, const int64_t *pl, const int64_t *pr)',
    ),
    pdCreate: f('int dnnl_primitive_desc_create(_Out_ void **pd, const void *opDesc, const void *attr, void *engine, const void *hint)'),
    primitiveCreate: f('int dnnl_primitive_create(_Out_ void **primitive, const void *pd)'),
    memoryCreate: f('int dnnl_memory_create(_Out_ void **memory, const void *md, void *engine, void *handle)'),
    setHandle: f('int dnnl_memory_set_data_handle(void *memory, void *handle)'),
    execute: f('int dnnl_primitive_execute(const void *primitive, void *stream, int nargs, const fedbook_dnnl_exec_arg_t *args)'),
    wait: f('int dnnl_stream_wait(void *stream)'),
    queryMd: lib.func('const void *dnnl_primitive_desc_query_md(const void *pd, int what, int index)') as (pd: unknown, what: number, index: number) => unknown,
    mdSize: lib.func('size_t dnnl_memory_desc_get_size(const void *md)') as (md: unknown) => number | bigint,
    primitiveDestroy: f('int dnnl_primitive_destroy(void *primitive)'),
    pdDestroy: f('int dnnl_primitive_desc_destroy(void *pd)'),
    memoryDestroy: f('int dnnl_memory_destroy(void *memory)'),
    reorderPdCreate: f(
      'int dnnl_reorder_primitive_desc_create(_Out_ void **pd, const void *srcMd, void *srcEngine, const void *dstMd, void *dstEngine, const void *attr)',
    ),
  };
  const engine = out(fns.engineCreate, 'dnnl_engine_create', C.cpu, 0);
  const stream = out(fns.streamCreate, 'dnnl_stream_create', engine, C.inOrder);
  b = { ...fns, engine, stream, guard: createSignalGuard(koffi) };
  bound.set(dnnl.library, b);
  return b;
}
let _execArgType: unknown;

function ok(status: number, what: string): void {
  if (status !== 0) throw new Error(`oneDNN ${what} failed with status ${status}`);
}

function out(fn: Fn, what: string, ...args: unknown[]): unknown {
  const result: unknown[] = [null];
  ok(fn(result, ...args), what);
  return result[0];
}

/** Checks the geometry (positive integers, consistent output size) before anything reaches C. */
export function checkConvGeometry(g: ConvGeometry): void {
  for (const [name, value] of Object.entries(g)) {
    if (name === 'bias') continue;
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
  const b = bind(dnnl);
  const md = (dims: number[], tag: number): Uint8Array => {
    const m = new Uint8Array(MD_BYTES);
    ok(b.mdInitByTag(m, dims.length, BigInt64Array.from(dims.map(BigInt)), C.f32, tag), 'dnnl_memory_desc_init_by_tag');
    return m;
  };
  const i64 = (values: number[]) => BigInt64Array.from(values.map(BigInt));
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
  const owned = { primitives: [] as unknown[], pds: [] as unknown[], memories: [] as unknown[] };
  const primitive = (fill: (desc: Uint8Array) => number, what: string, hint: unknown) => {
    const desc = new Uint8Array(OP_DESC_BYTES);
    ok(fill(desc), what);
    const pd = out(b.pdCreate, `${what}: dnnl_primitive_desc_create`, desc, null, b.engine, hint);
    owned.pds.push(pd);
    const created = out(b.primitiveCreate, `${what}: dnnl_primitive_create`, pd);
    owned.primitives.push(created);
    return { pd, primitive: created };
  };
  const fwd = primitive(
    (d) => b.convForward(d, C.forwardTraining, C.convolutionDirect, src, weights, bias, dst, strides, padL, padR),
    'convolution forward',
    null,
  );
  const bwdData = primitive((d) => b.convBackwardData(d, C.convolutionDirect, src, weights, dst, strides, padL, padR), 'convolution backward data', fwd.pd);
  const bwdWeights = primitive(
    (d) => b.convBackwardWeights(d, C.convolutionDirect, src, weights, bias, dst, strides, padL, padR),
    'convolution backward weights',
    fwd.pd,
  );
  const memory = (m: unknown) => {
    const created = out(b.memoryCreate, 'dnnl_memory_create', m, b.engine, null);
    owned.memories.push(created);
    return created;
  };
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
  // Handles are set right before the call that uses them, with no allocation in between.
  // Signals are blocked while oneDNN runs (see createSignalGuard).
  const run = (prim: unknown, args: Array<[number, unknown, Float32Array]>) => {
    for (const [, m, array] of args) ok(b.setHandle(m, array), 'dnnl_memory_set_data_handle');
    const execArgs = args.map(([arg, m]) => ({ arg, memory: m }));
    b.guard(() => {
      ok(b.execute(prim, b.stream, args.length, execArgs), 'dnnl_primitive_execute');
      ok(b.wait(b.stream), 'dnnl_stream_wait');
    });
  };
  type Arg = [number, unknown, Float32Array];
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('convolution: used after dispose()');
  };
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      // Primitives first: they hold references to their descriptors. Blocked weight memories are queried
      // from the primitive descriptors, so they go before those.
      for (const p of owned.primitives) b.primitiveDestroy(p);
      for (const m of owned.memories) b.memoryDestroy(m);
      for (const pd of owned.pds) b.pdDestroy(pd);
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
