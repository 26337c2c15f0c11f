// kinesalite 3.3.3 ships no types; only what local/kinesis-server.ts uses is declared.
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** Folder for a LevelDB store; without it the store is in memory (memdown). */
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export default kinesalite;
}
