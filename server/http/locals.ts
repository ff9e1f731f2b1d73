import type { Caller } from "../auth/token-service.ts";

declare global {
  // Express merges this interface into `res.locals`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string;
      /** Aborted when the client goes away or the request times out. */
      signal: AbortSignal;
      /** When the request times out, on the `performance.now()` clock. */
      deadline: number;
      caller?: Caller;
      /** The route table's path the request matched, for the log. */
      route?: string;
    }
  }
}

export {};
