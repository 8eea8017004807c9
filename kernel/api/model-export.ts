/**
 * A trained model out of the notebook: `fed.models.save` writes the
 * TensorFlow.js layers format (`model.json` + `weights.bin`), `fed.models.load`
 * reads it back, and `algo.model(state)` gives a `tf.LayersModel` for
 * `predict`.
 *
 * The flat weight vector of a server state maps to the model's variables the
 * way the workers map it (workers/model-cache.ts: `model.weights` in order,
 * each variable a contiguous slice). So `weights.bin` is that vector's bytes
 * as they are, and the weight specs are the variables' names and shapes.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { CachedModel } from '../../workers/model-cache';
import { describeModel, type ModelSpec } from '../../workers/model-spec';

/** The two files of the TensorFlow.js layers format. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** What `fed.models.save` wrote. */
export interface SavedModel {
  /** The folder, absolute. */
  dir: string;
  /** Absolute paths of model.json and weights.bin. */
  files: [string, string];
  /** Number of weights (float32 values) in weights.bin. */
  parameters: number;
}

/** The fields of an algorithm and a server state that export reads. */
export interface ModelSource {
  readonly spec: ModelSpec;
}
export interface WeightsSource {
  readonly weights: Float32Array;
}

/** The kernel's TensorFlow.js: the one instance cells see as `tf`. */
function tensorflow(): typeof tfjs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@tensorflow/tfjs') as typeof tfjs;
}

/**
 * The model the workers build for this spec, with its flat-vector layout.
 * Required lazily: the worker cache registers the WASM backend when loaded,
 * which a script that never exports should not pay for.
 */
async function layoutOf(tf: typeof tfjs, spec: ModelSpec): Promise<CachedModel> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getModel } = require('../../workers/model-cache') as typeof import('../../workers/model-cache');
  await tf.ready();
  return getModel(tf, spec);
}

/**
 * The layers-format artifacts of a spec and a flat weight vector, as
 * `model.save()` would produce them for that model with those weights.
 */
export async function modelArtifacts(where: string, spec: ModelSpec, weights: Float32Array): Promise<tfjs.io.ModelArtifacts> {
  const tf = tensorflow();
  const layout = await layoutOf(tf, spec);
  if (weights.length !== layout.dimension) {
    throw new RangeError(
      `${where}: the state's weights have ${weights.length} values, but the model (${describeModel(spec)}) has ${layout.dimension}: pass a state from this algorithm's initialize(), next() or run()`,
    );
  }
  const weightSpecs: tfjs.io.WeightsManifestEntry[] = layout.variables.map(({ variable, shape }) => ({ name: variable.originalName, shape, dtype: 'float32' }));
  // A copy: the state's vector may sit in shared memory, and the caller may keep using it.
  const weightData = weights.slice().buffer;
  return {
    modelTopology: layout.model.toJSON(null, false) as tfjs.io.ModelArtifacts['modelTopology'],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    weightSpecs,
    weightData,
  };
}

function checkSource(where: string, algo: unknown, state: unknown): { spec: ModelSpec; weights: Float32Array } {
  const spec = (algo as Partial<ModelSource> | undefined)?.spec;
  if (!spec || typeof spec !== 'object' || !('kind' in spec)) {
    throw new TypeError(`${where}: the first argument must be an algorithm from fed.fedAvg(...) and its family (it has no model spec)`);
  }
  const weights = (state as Partial<WeightsSource> | undefined)?.weights;
  if (!(weights instanceof Float32Array)) {
    throw new TypeError(`${where}: the state must be a server state from algo.initialize(), algo.next() or algo.run() (it has no Float32Array weights)`);
  }
  return { spec, weights };
}

/** A fresh `tf.LayersModel` with the state's weights (the argument checks of `where`). */
export async function modelFromState(algo: ModelSource, state: WeightsSource, where = 'algo.model'): Promise<tfjs.LayersModel> {
  const { spec, weights } = checkSource(where, algo, state);
  const artifacts = await modelArtifacts(where, spec, weights);
  return tensorflow().loadLayersModel(tensorflow().io.fromMemory(artifacts));
}

/** Writes `text` or bytes to `path` through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Saves a state's model in the TensorFlow.js layers format: `dir/model.json`
 * (topology and weight manifest) and `dir/weights.bin` (float32 weights).
 * Load it with `fed.models.load(dir)`, with tfjs-node's
 * `tf.loadLayersModel('file://dir/model.json')`, in a browser by URL, or
 * convert it to Keras with `tensorflowjs_converter`. Built-in models output
 * logits (apply `tf.softmax` for probabilities). Each file is written to a
 * temporary name and renamed, so a crash never leaves half a model.
 * @example await fed.models.save(algo, run.state, 'models/mnist-2nn');
 */
export async function saveModel(algo: ModelSource, state: WeightsSource, dir: string): Promise<SavedModel> {
  const where = 'fed.models.save';
  const { spec, weights } = checkSource(where, algo, state);
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${where}: the third argument must be a folder path, e.g. 'models/mnist'`);
  const artifacts = await modelArtifacts(where, spec, weights);
  const folder = resolve(dir);
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
  };
  const files: [string, string] = [join(folder, MODEL_JSON), join(folder, WEIGHTS_BIN)];
  try {
    mkdirSync(folder, { recursive: true });
    // The weights first: model.json names them, so it only appears once they are there.
    writeAtomically(files[1], new Uint8Array(artifacts.weightData as ArrayBuffer));
    writeAtomically(files[0], JSON.stringify(modelJson));
  } catch (error) {
    throw new Error(`${where}: cannot write the model to '${folder}': ${(error as Error).message}`);
  }
  return { dir: folder, files, parameters: weights.length };
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths?: unknown; weights?: unknown }>;
}

function readModelJson(where: string, folder: string): ModelJson {
  const path = join(folder, MODEL_JSON);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const folderExists = (() => {
      try {
        return statSync(folder).isDirectory();
      } catch {
        return false;
      }
    })();
    if (code === 'ENOENT') {
      throw new Error(
        folderExists
          ? `${where}: '${folder}' has no ${MODEL_JSON}: save one there with fed.models.save(algo, state, dir)`
          : `${where}: the folder '${folder}' does not exist`,
      );
    }
    throw new Error(`${where}: cannot read '${path}': ${(error as Error).message}`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new Error(`${where}: '${path}' is not valid JSON (${(error as Error).message}); the file is corrupt or not a TensorFlow.js model`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${where}: '${path}' is not a TensorFlow.js layers model (it needs modelTopology and weightsManifest)`);
  }
  return json;
}

/**
 * Loads a model saved in the TensorFlow.js layers format (by
 * `fed.models.save`, or any `model.save()`) from a folder on disk, as a
 * `tf.LayersModel` ready for `predict`. Plain @tensorflow/tfjs has no
 * `file://` handler in Node: this reads the files and hands them to
 * `tf.loadLayersModel(tf.io.fromMemory(...))`.
 * @example const model = await fed.models.load('models/mnist-2nn'); model.predict(x)
 */
export async function loadModel(dir: string): Promise<tfjs.LayersModel> {
  const where = 'fed.models.load';
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${where}: expected the folder that holds model.json, e.g. 'models/mnist'`);
  const folder = resolve(dir);
  const json = readModelJson(where, folder);
  const tf = tensorflow();
  const artifacts = await tf.io.getModelArtifactsForJSON(json as tfjs.io.ModelJSON, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const expected = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * bytesPer(spec.quantization?.dtype ?? spec.dtype), 0);
    const chunks = manifest
      .flatMap((group) => group.paths)
      .map((name) => {
        try {
          return readFileSync(join(folder, name));
        } catch (error) {
          throw new Error(`${where}: ${MODEL_JSON} lists the weights file '${name}', which cannot be read: ${(error as Error).message}`);
        }
      });
    const data = Buffer.concat(chunks);
    if (data.length !== expected) {
      throw new Error(
        `${where}: the weights files hold ${data.length} bytes, but ${MODEL_JSON} describes ${expected}: the files are truncated or do not belong together`,
      );
    }
    return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.length)];
  });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new Error(`${where}: '${join(folder, MODEL_JSON)}' does not describe a model TensorFlow.js can build: ${(error as Error).message}`);
  }
}

function bytesPer(dtype: string): number {
  return dtype === 'float16' ? 2 : dtype === 'bool' || dtype === 'uint8' ? 1 : 4;
}
