/**
 * Stands in for `lambda/sha256.ts` in the benchmark's "SDK signing" variant: the SHA-256 the AWS
 * clients use by default, so the variant signs as the receiver did before the fix. Only the
 * benchmark bundles this; it measures what `lambda/sha256.ts` saves, in the same run.
 */
export { Sha256 } from '@smithy/core/checksum';
