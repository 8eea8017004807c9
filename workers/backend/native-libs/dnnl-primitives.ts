/**
 * The oneDNN 2.x C API calls shared by the convolution and pooling bindings:
 * one engine and stream per library and thread, descriptors in caller-allocated
 * buffers, primitives created once and executed with signals blocked.
 *
 * oneDNN 2.x passes memory and operation descriptors as caller-allocated
 * structs (a memory descriptor is 696 bytes in 2.6): the buffers here are
 * larger than any 2.x version needs.
 */
import type { Dnnl } from './dnnl';
import { createSignalGuard, type SignalGuard } from './ffi';

const MD_BYTES = 2048,
  OP_DESC_BYTES = 16384;

/** oneDNN 2.x enum values (dnnl_types.h). */
export const DNNL = {
  cpu: 1,
  f32: 3,
  any: 1,
  nhwc: 20,
  hwio: 30,
  x: 2,
  inOrder: 1,
  query: { weights: 131, diffWeights: 132, workspace: 135 },
  forwardTraining: 64,
  convolutionDirect: 1,
  poolingMax: 0x1ff,
  eltwiseRelu: 0x1f,
  eltwiseReluUseDst: 0x100,
  arg: { src: 1, dst: 17, weights: 33, bias: 41, workspace: 64, diffSrc: 129, diffDst: 145, diffWeights: 161, diffBias: 169 },
};

type Fn = (...args: unknown[]) => number;

export interface Bindings {
  engine: unknown;
  stream: unknown;
  guard: SignalGuard;
  mdInitByTag: Fn;
  convForward: Fn;
  convBackwardData: Fn;
  convBackwardWeights: Fn;
  poolForward: Fn;
  poolBackward: Fn;
  eltwiseForward: Fn;
  eltwiseBackward: Fn;
  attrCreate: Fn;
  attrDestroy: Fn;
  attrSetPostOps: Fn;
  postOpsCreate: Fn;
  postOpsDestroy: Fn;
  postOpsAppendEltwise: Fn;
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
/** Registered with koffi by name: the execute signature refers to it as fedbook_dnnl_exec_arg_t. */
let _execArgType: unknown;

/** The C functions of `dnnl`, bound once per library (and so once per worker thread). */
export function bindDnnl(dnnl: Dnnl): Bindings {
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
    poolForward: f(
      'int dnnl_pooling_forward_desc_init(void *d, int prop, int alg, const void *src, const void *dst, const int64_t *strides, const int64_t *kernel, const int64_t *pl, const int64_t *pr)',
    ),
    poolBackward: f(
      'int dnnl_pooling_backward_desc_init(void *d, int alg, const void *dsrc, const void *ddst, const int64_t *strides, const int64_t *kernel, const int64_t *pl, const int64_t *pr)',
    ),
    eltwiseForward: f('int dnnl_eltwise_forward_desc_init(void *d, int prop, int alg, const void *data, float alpha, float beta)'),
    eltwiseBackward: f('int dnnl_eltwise_backward_desc_init(void *d, int alg, const void *diffData, const void *data, float alpha, float beta)'),
    attrCreate: f('int dnnl_primitive_attr_create(_Out_ void **attr)'),
    attrDestroy: f('int dnnl_primitive_attr_destroy(void *attr)'),
    attrSetPostOps: f('int dnnl_primitive_attr_set_post_ops(void *attr, const void *postOps)'),
    postOpsCreate: f('int dnnl_post_ops_create(_Out_ void **postOps)'),
    postOpsDestroy: f('int dnnl_post_ops_destroy(void *postOps)'),
    // 2.x: the scale argument comes first (3.x dropped it).
    postOpsAppendEltwise: f('int dnnl_post_ops_append_eltwise(void *postOps, float scale, int alg, float alpha, float beta)'),
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
  const engine = out(fns.engineCreate, 'dnnl_engine_create', DNNL.cpu, 0);
  const stream = out(fns.streamCreate, 'dnnl_stream_create', engine, DNNL.inOrder);
  b = { ...fns, engine, stream, guard: createSignalGuard(koffi) };
  bound.set(dnnl.library, b);
  return b;
}

function ok(status: number, what: string): void {
  if (status !== 0) throw new Error(`oneDNN ${what} failed with status ${status}`);
}

/** Calls `fn` with an out-pointer first and returns what it wrote there. */
export function out(fn: Fn, what: string, ...args: unknown[]): unknown {
  const result: unknown[] = [null];
  ok(fn(result, ...args), what);
  return result[0];
}

/** An f32 memory descriptor of logical `dims` in the physical layout `tag`. */
export function memoryDesc(b: Bindings, dims: number[], tag: number): Uint8Array {
  const m = new Uint8Array(MD_BYTES);
  ok(b.mdInitByTag(m, dims.length, i64(dims), DNNL.f32, tag), 'dnnl_memory_desc_init_by_tag');
  return m;
}

export function i64(values: number[]): BigInt64Array {
  return BigInt64Array.from(values.map(BigInt));
}

/** What one convolution or pooling created, freed together by `dispose`. */
export class Owned {
  readonly primitives: unknown[] = [];
  readonly pds: unknown[] = [];
  readonly memories: unknown[] = [];
  readonly attrs: unknown[] = [];
  constructor(private readonly b: Bindings) {}

  /**
   * A primitive from an operation descriptor `fill` writes; `hint` is the forward primitive descriptor for
   * backward ones; `attr` carries post-ops (see reluAttr).
   */
  primitive(fill: (desc: Uint8Array) => number, what: string, hint: unknown, attr: unknown = null): { pd: unknown; primitive: unknown } {
    const desc = new Uint8Array(OP_DESC_BYTES);
    ok(fill(desc), what);
    const pd = out(this.b.pdCreate, `${what}: dnnl_primitive_desc_create`, desc, attr, this.b.engine, hint);
    this.pds.push(pd);
    const created = out(this.b.primitiveCreate, `${what}: dnnl_primitive_create`, pd);
    this.primitives.push(created);
    return { pd, primitive: created };
  }

  /** A memory object without a buffer: handles are set right before each call. */
  memory(md: unknown): unknown {
    const created = out(this.b.memoryCreate, 'dnnl_memory_create', md, this.b.engine, null);
    this.memories.push(created);
    return created;
  }

  /** Primitive attributes with one post-op, max(0, ·) on the result; freed by dispose. */
  reluAttr(): unknown {
    const postOps = out(this.b.postOpsCreate, 'dnnl_post_ops_create');
    try {
      ok(this.b.postOpsAppendEltwise(postOps, 1, DNNL.eltwiseRelu, 0, 0), 'dnnl_post_ops_append_eltwise');
      const attr = out(this.b.attrCreate, 'dnnl_primitive_attr_create');
      this.attrs.push(attr);
      ok(this.b.attrSetPostOps(attr, postOps), 'dnnl_primitive_attr_set_post_ops'); // copies the post-ops
      return attr;
    } finally {
      this.b.postOpsDestroy(postOps);
    }
  }

  dispose(): void {
    for (const a of this.attrs) this.b.attrDestroy(a);
    // Primitives first: they hold references to their descriptors. Memories made from queried descriptors
    // go before the primitive descriptors those belong to.
    for (const p of this.primitives) this.b.primitiveDestroy(p);
    for (const m of this.memories) this.b.memoryDestroy(m);
    for (const pd of this.pds) this.b.pdDestroy(pd);
  }
}

/** One execution argument: the oneDNN argument id, its memory object, and the buffer to point it at. */
export type ExecArg = [number, unknown, ArrayBufferView];

/**
 * Points each memory at its buffer and runs `primitive`, with no allocation in between; signals are
 * blocked while oneDNN runs (see createSignalGuard).
 */
export function execute(b: Bindings, primitive: unknown, args: ExecArg[]): void {
  for (const [, m, array] of args) ok(b.setHandle(m, array), 'dnnl_memory_set_data_handle');
  const execArgs = args.map(([arg, m]) => ({ arg, memory: m }));
  b.guard(() => {
    ok(b.execute(primitive, b.stream, args.length, execArgs), 'dnnl_primitive_execute');
    ok(b.wait(b.stream), 'dnnl_stream_wait');
  });
}
