/**
 * Stands in for `lambda/sha256.ts` in the benchmark's `sdkSigning` bundle: the SHA-256 the AWS
 * clients use by default, so that every run measures what `lambda/sha256.ts` saves.
 */
export { Sha256 } from '@smithy/core/checksum';
