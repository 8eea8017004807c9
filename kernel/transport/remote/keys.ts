/**
 * CurveZMQ keys: making key pairs, writing and reading them, and a client's
 * proof that it holds the secret half of the public key it announces
 * (HMAC-SHA256 under the X25519 secret it shares with the server), so that
 * one allow-listed client cannot speak under another's name.
 */
import { createHmac, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';

export interface KeyPair {
  /** Z85, 40 characters. */
  readonly publicKey: string;
  readonly secretKey: string;
}

const Z85_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export function isZ85Key(text: string): boolean {
  return Z85_KEY.test(text);
}

/** Z85 text → bytes (ZeroMQ RFC 32). */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new RangeError('a Z85 string has a multiple of 5 characters');
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85_CHARS.indexOf(text[i + j]);
      if (digit < 0) throw new RangeError(`'${text[i + j]}' is not a Z85 character`);
      value = value * 85 + digit;
    }
    out.writeUInt32BE(value >>> 0, (i / 5) * 4);
  }
  return out;
}

export function newKeyPair(): KeyPair {
  const { publicKey, secretKey } = curveKeyPair();
  return { publicKey, secretKey };
}

/**
 * Writes NAME.key (the pair, JSON, mode 0600) and NAME.pub (the public key, to hand to the other side).
 * Refuses to overwrite an existing key.
 */
export function writeKeyPair(dir: string, name: string, pair: KeyPair = newKeyPair()): { keyFile: string; publicFile: string; pair: KeyPair } {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new RangeError(`key name '${name}' may only hold letters, digits, '_', '.' and '-'`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, `${name}.key`);
  const publicFile = join(dir, `${name}.pub`);
  if (existsSync(keyFile)) throw new Error(`${keyFile} already exists; remove it first or choose another --name`);
  writeFileSync(keyFile, `${JSON.stringify(pair, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(keyFile, 0o600); // the umask may have narrowed it further; never wider
  writeFileSync(publicFile, `${pair.publicKey}\n`, { mode: 0o600 });
  chmodSync(publicFile, 0o600);
  return { keyFile, publicFile, pair };
}

/** A key pair given as itself or as the path of a .key file. */
export function readKeyPair(source: KeyPair | string, what: string): KeyPair {
  if (typeof source === 'object' && source !== null) return checkPair(source, what);
  if (typeof source !== 'string')
    throw new TypeError(`${what} must be a key pair { publicKey, secretKey } or the path of a .key file made by 'fedbook keys new'`);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new Error(`${what}: cannot read key file ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what}: ${source} is not a key file made by 'fedbook keys new' (a .key file holds JSON)`);
  }
  return checkPair(parsed as KeyPair, `${what} (${source})`);
}

function checkPair(pair: KeyPair, what: string): KeyPair {
  if (!isZ85Key(pair?.publicKey) || !isZ85Key(pair?.secretKey))
    throw new TypeError(`${what}: a key pair needs publicKey and secretKey, each 40 Z85 characters`);
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** A public key given as 40 Z85 characters or as the path of a .pub (or .key) file. */
export function readPublicKey(source: string, what: string): string {
  if (typeof source !== 'string') throw new TypeError(`${what} must be a public key (40 Z85 characters) or the path of a .pub file`);
  if (isZ85Key(source)) return source;
  let text: string;
  try {
    text = readFileSync(source, 'utf8').trim();
  } catch {
    throw new Error(`${what}: '${source}' is neither a public key (40 Z85 characters) nor a readable .pub file`);
  }
  if (isZ85Key(text)) return text;
  try {
    return readKeyPair(JSON.parse(text) as KeyPair, what).publicKey;
  } catch {
    throw new Error(`${what}: ${source} holds no public key (expected 40 Z85 characters, as 'fedbook keys new' writes to NAME.pub)`);
  }
}

function x25519Secret(ownSecret: string, ownPublic: string, peerPublic: string): Buffer {
  const b64 = (z85: string) => z85Decode(z85).toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(ownSecret), x: b64(ownPublic) }, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(peerPublic) }, format: 'jwk' });
  return diffieHellman({ privateKey, publicKey });
}

function proofOver(secret: Buffer, name: string): Buffer {
  return createHmac('sha256', secret).update(`fedbook hello v1\0${name}`).digest();
}

/** The client's proof that it holds `pair`'s secret key, bound to its name and to this server. */
export function helloProof(pair: KeyPair, serverPublicKey: string, name: string): string {
  return proofOver(x25519Secret(pair.secretKey, pair.publicKey, serverPublicKey), name).toString('base64');
}

/** Checks a hello's proof on the server (constant-time compare). */
export function verifyHelloProof(server: KeyPair, clientPublicKey: string, name: string, proof: string): boolean {
  if (!isZ85Key(clientPublicKey)) return false;
  const expected = proofOver(x25519Secret(server.secretKey, server.publicKey, clientPublicKey), name);
  const given = Buffer.from(proof, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Bytes → Z85 text (length a multiple of 4). */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError('Z85 encodes a multiple of 4 bytes');
  let out = '';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.length; i += 4) {
    let value = view.getUint32(i);
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(Z85_CHARS[value % 85]);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}
