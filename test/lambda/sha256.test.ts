import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../lambda/sha256.ts';

type TextEncoding = 'utf8' | 'ascii' | 'latin1';
type Chunk = { text: string; encoding: TextEncoding | undefined } | Uint8Array | ArrayBuffer;
type Key = string | Uint8Array | ArrayBuffer | undefined;

/** Bytes in every form the SDK hands over: whole, a view into a larger buffer, a bare ArrayBuffer. */
const bytesArb = fc
  .tuple(
    fc.uint8Array({ maxLength: 300 }),
    fc.nat({ max: 8 }),
    fc.constantFrom('view', 'offset view', 'ArrayBuffer'),
  )
  .map(([bytes, pad, form]): Uint8Array | ArrayBuffer => {
    if (form === 'ArrayBuffer') return new Uint8Array(bytes).buffer;
    if (form === 'view') return bytes;
    // The same bytes in the middle of a larger buffer, so an offset or length mix-up shows.
    const backing = new Uint8Array(bytes.length + 2 * pad).fill(0xa5);
    backing.set(bytes, pad);
    return backing.subarray(pad, pad + bytes.length);
  });

const textArb = fc.string({ unit: 'binary', maxLength: 200 });
const keyArb: fc.Arbitrary<Key> = fc.oneof(fc.constant(undefined), textArb, bytesArb);
const chunkArb: fc.Arbitrary<Chunk> = fc.oneof(
  fc.record({
    text: textArb,
    encoding: fc.constantFrom<TextEncoding | undefined>(undefined, 'utf8', 'ascii', 'latin1'),
  }),
  bytesArb,
);

/** A chunk's bytes the way the SDK's own hash reads them (text is UTF-8 unless told otherwise). */
function bytesOf(chunk: Chunk | Exclude<Key, undefined>): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  return Buffer.from(chunk.text, chunk.encoding ?? 'utf8');
}

/** The reference: Node's HMAC keyed by the bytes themselves (or a plain hash), as the SDK does. */
function reference(key: Key, chunks: readonly Chunk[]): string {
  const hash =
    key === undefined || key === '' ? createHash('sha256') : createHmac('sha256', bytesOf(key));
  for (const chunk of chunks) hash.update(bytesOf(chunk));
  return hash.digest('hex');
}

async function digestHex(hash: Sha256, chunks: readonly Chunk[]): Promise<string> {
  for (const chunk of chunks) {
    if (chunk instanceof Uint8Array || chunk instanceof ArrayBuffer) hash.update(chunk);
    else hash.update(chunk.text, chunk.encoding);
  }
  return Buffer.from(await hash.digest()).toString('hex');
}

describe('Sha256 for request signing', () => {
  it('gives the digest of a byte-keyed HMAC (or plain SHA-256) for any key and data', async () => {
    await fc.assert(
      // GIVEN any key (none, text, or bytes in any form) and any chunks of text or bytes
      fc.asyncProperty(keyArb, fc.array(chunkArb, { maxLength: 5 }), async (key, chunks) => {
        // WHEN they are hashed THEN the digest is Node's, keyed by the key's bytes
        expect(await digestHex(new Sha256(key), chunks)).toBe(reference(key, chunks));
      }),
    );
  });

  it('starts over after reset, with the same key', async () => {
    await fc.assert(
      fc.asyncProperty(
        keyArb,
        fc.array(chunkArb, { maxLength: 3 }),
        fc.array(chunkArb, { maxLength: 3 }),
        async (key, first, second) => {
          // GIVEN a hash that has digested some chunks
          const hash = new Sha256(key);
          await digestHex(hash, first);
          // WHEN it is reset and fed other chunks
          hash.reset();
          // THEN its digest is theirs alone, under the same key
          expect(await digestHex(hash, second)).toBe(reference(key, second));
        },
      ),
    );
  });

  it("derives AWS's published Signature V4 signing key, feeding each digest back as the key", async () => {
    // GIVEN AWS's worked example ("Derive a signing key for Signature Version 4", IAM, 2012-02-15):
    // the first key is text, each later one the previous digest in bytes, as the SDK chains it
    let key: string | Uint8Array = 'AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const steps: string[] = [];
    // WHEN each step's HMAC is computed
    for (const part of ['20120215', 'us-east-1', 'iam', 'aws4_request']) {
      const hmac: Sha256 = new Sha256(key);
      hmac.update(part);
      key = await hmac.digest();
      steps.push(Buffer.from(key).toString('hex'));
    }
    // THEN every intermediate key is the published one
    expect(steps).toEqual([
      '969fbb94feb542b71ede6f87fe4d5fa29c789342b0f407474670f0c2489e0a0d',
      '69daa0209cd9c5ff5c8ced464a696fd4252e981430b10e3d3fd8e2f197d7a70c',
      'f72cfd46f26bc4643f06a11eabb6c0ba18780c19a8da0c31ace671265e3c87fa',
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    ]);
  });
});
