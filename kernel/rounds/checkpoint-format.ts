/**
 * The checkpoint file format, pure (bytes in, bytes out, no I/O):
 *
 *   offset 0   "FBCK"                       magic
 *          4   u32 LE   format version (1)
 *          8   u32 LE   header length H (bytes of UTF-8 JSON)
 *         12   u32 LE   total file length L (a truncated file is caught before hashing)
 *         16   header JSON, zero-padded to a multiple of 8
 *          …   blocks: raw little-endian float32 / float64 values, each starting on a multiple of 8
 *      L − 32  SHA-256 of bytes 0 .. L − 32
 *
 * The header holds `meta` (plain JSON) and `value`: any tree of plain objects,
 * arrays, numbers, strings, booleans, null, undefined, Float32Array and
 * Float64Array. Typed arrays become `{ "$block": i }` and live in the blocks,
 * so a 200k-parameter model costs its 800 KB and not a JSON text five times that;
 * numbers JSON cannot hold exactly (NaN, ±Infinity, −0) become `{ "$number": "NaN" }`,
 * undefined becomes `{ "$undefined": 1 }`, and an object that has keys starting
 * with `$` is wrapped as `{ "$object": {...} }`, so decoding is never ambiguous.
 */
import { createHash } from 'node:crypto';

const MAGIC = 'FBCK';
export const CHECKPOINT_FORMAT_VERSION = 1;
const PREAMBLE = 16;
const CHECKSUM = 32;

type BlockType = 'float32' | 'float64';
interface BlockEntry {
  readonly type: BlockType;
  readonly offset: number;
  readonly length: number;
}
interface Header {
  readonly meta: unknown;
  readonly value: unknown;
  readonly blocks: readonly BlockEntry[];
}

/** A file that is not a whole, intact checkpoint (truncated, corrupt, another format). */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

export interface DecodedCheckpoint<Meta = unknown, Value = unknown> {
  readonly meta: Meta;
  readonly value: Value;
}

/** Serialises `meta` (plain JSON) and `value` (plain data with typed arrays) into one checkpoint file. */
export function encodeCheckpoint(meta: unknown, value: unknown): Uint8Array {
  const arrays: (Float32Array | Float64Array)[] = [];
  const tree = toTree(value, { arrays, index: new Map() }, 'value');
  const blocks: BlockEntry[] = [];
  let blockBytes = 0;
  for (const array of arrays) {
    blocks.push({ type: array instanceof Float32Array ? 'float32' : 'float64', offset: blockBytes, length: array.length });
    blockBytes = align8(blockBytes + array.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta, value: tree, blocks } satisfies Header), 'utf8');
  const blocksStart = align8(PREAMBLE + header.length);
  const total = blocksStart + blockBytes + CHECKSUM;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(MAGIC, 'latin1'), 0);
  view.setUint32(4, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(8, header.length, true);
  view.setUint32(12, total, true);
  bytes.set(header, PREAMBLE);
  arrays.forEach((array, i) => writeLittleEndian(bytes, blocksStart + blocks[i].offset, array));
  bytes.set(sha256(bytes.subarray(0, total - CHECKSUM)), total - CHECKSUM);
  return bytes;
}

/** Reads a checkpoint file back; throws CheckpointFormatError naming what is wrong. */
export function decodeCheckpoint<Meta = unknown, Value = unknown>(bytes: Uint8Array): DecodedCheckpoint<Meta, Value> {
  if (bytes.length < PREAMBLE + CHECKSUM) throw new CheckpointFormatError(`the file is ${bytes.length} bytes, too short for a checkpoint`);
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC)
    throw new CheckpointFormatError('the file does not start with FBCK: not a Fedbook checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== CHECKPOINT_FORMAT_VERSION)
    throw new CheckpointFormatError(`checkpoint format version ${version} is not supported (this Fedbook reads version ${CHECKPOINT_FORMAT_VERSION})`);
  const total = view.getUint32(12, true);
  if (total !== bytes.length) throw new CheckpointFormatError(`the file is ${bytes.length} bytes but its header says ${total}: truncated or appended to`);
  const expected = sha256(bytes.subarray(0, total - CHECKSUM));
  if (!Buffer.from(expected).equals(Buffer.from(bytes.subarray(total - CHECKSUM))))
    throw new CheckpointFormatError('the checksum does not match: the file is corrupt');
  const headerLength = view.getUint32(8, true);
  const blocksStart = align8(PREAMBLE + headerLength);
  if (blocksStart > total - CHECKSUM) throw new CheckpointFormatError(`the header length ${headerLength} runs past the end of the file`);
  const header = JSON.parse(Buffer.from(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)).toString('utf8')) as Header;
  const arrays = header.blocks.map((block) => readLittleEndian(bytes, blocksStart + block.offset, block, total - CHECKSUM));
  return { meta: header.meta as Meta, value: fromTree(header.value, arrays) as Value };
}

/** Typed arrays met so far; one referenced twice (an unchanged client entry) is stored once. */
interface Blocks {
  readonly arrays: (Float32Array | Float64Array)[];
  readonly index: Map<Float32Array | Float64Array, number>;
}

function toTree(value: unknown, blocks: Blocks, path: string): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    let i = blocks.index.get(value);
    if (i === undefined) blocks.index.set(value, (i = blocks.arrays.push(value) - 1));
    return { $block: i };
  }
  if (value === undefined) return { $undefined: 1 };
  if (typeof value === 'number') {
    return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item, i) => toTree(item, blocks, `${path}[${i}]`));
  if (ArrayBuffer.isView(value)) throw new TypeError(`checkpoint: ${path} is a ${value.constructor.name}; only Float32Array and Float64Array are stored`);
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => [key, toTree(item, blocks, `${path}.${key}`)] as const);
    const object = Object.fromEntries(entries);
    return entries.some(([key]) => key.startsWith('$')) ? { $object: object } : object;
  }
  throw new TypeError(
    `checkpoint: ${path} is a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}, which a checkpoint cannot hold (plain data and Float32Array/Float64Array only)`,
  );
}

function fromTree(tree: unknown, arrays: readonly (Float32Array | Float64Array)[]): unknown {
  if (Array.isArray(tree)) return tree.map((item) => fromTree(item, arrays));
  if (tree === null || typeof tree !== 'object') return tree;
  const object = tree as Record<string, unknown>;
  if ('$block' in object) return arrays[object.$block as number];
  if ('$undefined' in object) return undefined;
  if ('$number' in object) return object.$number === '-0' ? -0 : Number(object.$number);
  const fields = '$object' in object ? (object.$object as Record<string, unknown>) : object;
  return Object.fromEntries(Object.entries(fields).map(([key, item]) => [key, fromTree(item, arrays)]));
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function writeLittleEndian(bytes: Uint8Array, at: number, array: Float32Array | Float64Array): void {
  if (LITTLE_ENDIAN_HOST) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const size = array.BYTES_PER_ELEMENT;
  for (let i = 0; i < array.length; i++) {
    if (size === 4) view.setFloat32(at + i * 4, array[i], true);
    else view.setFloat64(at + i * 8, array[i], true);
  }
}

function readLittleEndian(bytes: Uint8Array, at: number, block: BlockEntry, end: number): Float32Array | Float64Array {
  const size = block.type === 'float32' ? 4 : 8;
  if (block.type !== 'float32' && block.type !== 'float64') throw new CheckpointFormatError(`unknown block type '${String(block.type)}'`);
  if (at + block.length * size > end) throw new CheckpointFormatError(`a ${block.type} block of ${block.length} values runs past the end of the file`);
  const array = block.type === 'float32' ? new Float32Array(block.length) : new Float64Array(block.length);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(array.buffer).set(bytes.subarray(at, at + array.byteLength));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let i = 0; i < array.length; i++) array[i] = size === 4 ? view.getFloat32(at + i * 4, true) : view.getFloat64(at + i * 8, true);
  }
  return array;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
