/**
 * WebGPU reports a failed command (validation, out of memory) as an event, not
 * a throw, and a lost device through a promise: without a watch, training would
 * go on with wrong numbers. Here both surface at the next tensor read, which is
 * where the worker's code awaits anyway, as an error saying what happened; the
 * pool turns it into the client's failure record.
 */
import type * as tfTypes from '@tensorflow/tfjs';

/** What a device exposes for errors (a GPUDevice is an EventTarget). */
export interface WatchedDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
}

/** The device's first unread error: an uncaptured one is reported once, a lost device at every read after. */
export function watchDevice(device: WatchedDevice): () => string | undefined {
  let error: string | undefined;
  let lost: string | undefined;
  device.addEventListener('uncapturederror', (event) => {
    error ??= `a WebGPU command failed: ${event.error.message.split('\n')[0]}`;
  });
  device.lost.then(
    (info) => {
      lost = `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message.split('\n')[0]}` : ''})`;
    },
    () => {},
  );
  return () => {
    const reported = lost ?? error;
    error = undefined;
    return reported;
  };
}

/** Makes `backend.read` (what `tensor.data()` awaits) throw the device's error instead of returning its values. */
export function failReadsOnDeviceError<B extends Pick<tfTypes.KernelBackend, 'read'>>(backend: B, takeError: () => string | undefined): B {
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    const values = await read(dataId);
    const error = takeError();
    if (error !== undefined) throw new Error(error);
    return values;
  };
  return backend;
}
