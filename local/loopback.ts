import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Pieces every local host shares: listening on loopback, and the environment child processes inherit. */

export interface Listening {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `server` on host:port (0 picks a free port) and resolves once it accepts connections. */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What a local function or training job inherits from the platform's process: the toolchain's
 * PATH and home, nothing from the caller's AWS setup (each gets the local endpoints explicitly).
 */
export function inheritedEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(
    keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!]),
  );
}
