/** Types for dynalite 4, which ships none: the factory returns a plain Node HTTP server. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** dynalite's options; only the ones this project uses. */
  interface DynaliteOptions {
    /** LevelDB folder; in memory when unset. */
    path?: string;
    /** How long a new table stays CREATING, in ms. */
    createTableMs?: number;
    /** Largest item accepted, in KB. */
    maxItemSizeKb?: number;
  }

  /** Creates a DynamoDB-compatible HTTP server; `close` also closes its database. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
