/**
 * HMAC signing of Jupyter messages. The signature covers the exact bytes of
 * header, parent header, metadata and content as they travel: verify over the
 * received bytes (jupyter_client writes JSON with spaces), sign what you send.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Signer {
  /** Hex digest over the four JSON frames; '' when signing is off. */
  sign(frames: readonly Uint8Array[]): string;
  /** Constant-time check of a received signature; always true when signing is off. */
  verify(signature: string, frames: readonly Uint8Array[]): boolean;
}

const SCHEMES: Record<string, string> = { 'hmac-sha256': 'sha256' };

/** An empty key turns signing off, as the protocol specifies. */
export function createSigner(key: string, scheme = 'hmac-sha256'): Signer {
  const algorithm = SCHEMES[scheme];
  if (algorithm === undefined) {
    throw new Error(`signature_scheme '${scheme}' is not supported (use 'hmac-sha256')`);
  }
  if (key === '') {
    return { sign: () => '', verify: () => true };
  }
  const digest = (frames: readonly Uint8Array[]): Buffer => {
    const hmac = createHmac(algorithm, key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest();
  };
  return {
    sign: (frames) => digest(frames).toString('hex'),
    verify(signature, frames) {
      const expected = digest(frames);
      if (!/^[0-9a-f]*$/i.test(signature) || signature.length !== expected.length * 2) return false;
      return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
    },
  };
}
