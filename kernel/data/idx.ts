/**
 * The idx file format of the original MNIST distribution (LeCun et al.):
 * a big-endian header — two zero bytes, a type code, the number of
 * dimensions, then one 32-bit size per dimension — followed by the values.
 * Only unsigned bytes (type 0x08) are supported, which is all MNIST uses.
 */

/** The header and raw values of one idx file. */
export interface IdxArray {
  /** Size of each dimension, outermost first, e.g. [60000, 28, 28]. */
  readonly dims: readonly number[];
  /** The values, a view into the source bytes (no copy). */
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/**
 * Parses an idx file of unsigned bytes. `expectedDims` is the number of
 * dimensions the caller needs (3 for images, 1 for labels); `source` names
 * the file in error messages.
 */
export function parseIdx(bytes: Uint8Array, expectedDims: number, source: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${source}: not an idx file (only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const expectedMagic = (UNSIGNED_BYTE << 8) | expectedDims;
  if (magic !== expectedMagic) {
    throw new Error(
      `${source}: bad idx magic number 0x${hex(magic)}, expected 0x${hex(expectedMagic)} (unsigned bytes, ${expectedDims} dimension${expectedDims === 1 ? '' : 's'})`,
    );
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (bytes.length < headerBytes) throw new Error(`${source}: idx header truncated (${bytes.length} bytes, header needs ${headerBytes})`);
  const dims: number[] = [];
  for (let d = 0; d < expectedDims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((product, size) => product * size, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== count) {
    throw new Error(`${source}: idx header says ${dims.join(' × ')} = ${count} values but the file holds ${actual}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
