/**
 * A worker's disk cache of datasets it was sent, one file per content hash:
 * `<dir>/datasets/<hash>.bin` holds a length-prefixed JSON header, then the
 * labels (Int32) and the features (Float32), little-endian. A file is written
 * under a temporary name and renamed, so a killed worker leaves no half file;
 * a file whose content does not hash to its name is deleted, not used.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createDataset, sharedFloat32, sharedInt32, type Dataset } from '../../data/dataset';
import { datasetHash } from './dataset-hash';

/** `$FEDBOOK_CACHE`, else `$XDG_CACHE_HOME/fedbook`, else `~/.cache/fedbook`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FEDBOOK_CACHE) return env.FEDBOOK_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fedbook');
}

interface Header {
  readonly exampleShape: readonly number[];
  readonly numClasses: number;
  readonly length: number;
  readonly name: string;
}

export class DatasetCache {
  constructor(readonly dir: string) {}

  private file(hash: string): string {
    return join(this.dir, 'datasets', `${hash}.bin`);
  }

  /** The dataset of this hash from disk, or undefined when it is absent or its bytes do not hash to it. */
  read(hash: string): Dataset | undefined {
    const file = this.file(hash);
    if (!existsSync(file)) return undefined;
    try {
      const bytes = readFileSync(file);
      const headerBytes = bytes.readUInt32LE(0);
      const header = JSON.parse(bytes.subarray(4, 4 + headerBytes).toString('utf8')) as Header;
      const start = align4(4 + headerBytes);
      const size = header.exampleShape.reduce((a, b) => a * b, 1);
      const y = sharedInt32(header.length);
      const x = sharedFloat32(header.length * size);
      new Uint8Array(y.buffer).set(bytes.subarray(start, start + y.byteLength));
      new Uint8Array(x.buffer).set(bytes.subarray(start + y.byteLength, start + y.byteLength + x.byteLength));
      const dataset = createDataset({ x, y, exampleShape: header.exampleShape, numClasses: header.numClasses, name: header.name });
      if (datasetHash(dataset) === hash) return dataset;
    } catch {
      /* unreadable: treated as absent */
    }
    rmSync(file, { force: true });
    return undefined;
  }

  write(hash: string, dataset: Dataset): void {
    mkdirSync(join(this.dir, 'datasets'), { recursive: true });
    const header = Buffer.from(
      JSON.stringify({ exampleShape: dataset.exampleShape, numClasses: dataset.numClasses, length: dataset.length, name: dataset.name } satisfies Header),
    );
    const prefix = Buffer.alloc(align4(4 + header.length));
    prefix.writeUInt32LE(header.length, 0);
    header.copy(prefix, 4);
    const temporary = `${this.file(hash)}.${process.pid}.tmp`;
    writeFileSync(temporary, Buffer.concat([prefix, view(dataset.y), view(dataset.x)]));
    renameSync(temporary, this.file(hash));
  }
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function view(array: ArrayBufferView): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
