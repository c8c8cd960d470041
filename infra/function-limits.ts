/**
 * The deployed function's memory and timeout: the template sets them, and every caller of the
 * handler outside Lambda (`npm start`, the tests) reports them in its context. It imports nothing,
 * so the benchmark's cold-start child loads nothing else before the bundle it measures.
 */

/** What the context says of the function, as the template sets it. */
export interface FunctionLimits {
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
}

export const DEPLOYED_LIMITS: FunctionLimits = {
  // Lambda gives CPU in proportion to memory: 512 MB keeps a cold start (loading the bundled SDK)
  // and parsing a body of up to 400 KB fast, for a fraction of a cent more per million.
  memoryMB: 512,
  // OpenIM waits 5 s by default (webhooks.yml `timeout`). The handler's own limits (secret 2 x
  // 0.5 s, table 1.5 s, fallback queue 1 s; see lambda/handler.ts) end every request by 3.5 s, so
  // 4 s is never the limit that stops it, and OpenIM still gets an answer, not a timeout.
  timeoutSeconds: 4,
};
