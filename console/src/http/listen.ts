import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Listens on `port`, or on a free port when that one is taken (a second `weft dev`, something else
 * on 9400 or 4318): a console on another port beats no console. Returns the bound port.
 */
export async function listenPreferring(server: Server, host: string, port: number): Promise<number> {
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await listen(port);
  } catch (error) {
    if (port !== 0 && (error as NodeJS.ErrnoException).code === "EADDRINUSE") return listen(0);
    throw error;
  }
}
