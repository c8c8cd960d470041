/**
 * SHA-256 and HMAC-SHA256 for the AWS SDK's request signing (the clients' `sha256` setting): the
 * same digests as the SDK's own Node implementation, with the HMAC key handed to Node as text.
 *
 * Why: Node 24.18 and later check whether a `createHmac` key given in bytes is a KeyObject or a
 * CryptoKey, and that check costs more than the HMAC itself; a key given as latin1 text skips it.
 * Signature V4 computes keyed HMACs on every request. The benchmark measures this module against
 * the SDK's own hash in every run (`warmOverSdkSigningRatio`; see BENCHMARKS.md, "Request signing").
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** What the SDK hashes: text, or bytes in any of their JavaScript forms. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** The encodings the SDK may name for text. */
type TextEncoding = 'utf8' | 'ascii' | 'latin1';

/** `data` as a Buffer over the same memory (no copy). */
function bytesOf(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

/** A Signature V4 hash: SHA-256, or HMAC-SHA256 when given a secret. */
export class Sha256 {
  /** The HMAC key as latin1 text (one character per byte), or undefined for a plain hash. */
  readonly #key: string | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    // As the SDK's: no secret (or empty text) is a plain hash, and text keys are UTF-8. Bytes go
    // over one character per byte.
    this.#key = !secret
      ? undefined
      : typeof secret === 'string'
        ? Buffer.from(secret, 'utf8').toString('latin1')
        : bytesOf(secret).toString('latin1');
    this.#hash = this.#start();
  }

  update(data: SourceData, encoding?: TextEncoding): void {
    if (typeof data === 'string') this.#hash.update(data, encoding ?? 'utf8');
    else this.#hash.update(bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#start();
  }

  #start(): Hash | Hmac {
    return this.#key === undefined
      ? createHash('sha256')
      : createHmac('sha256', this.#key, { encoding: 'latin1' });
  }
}
