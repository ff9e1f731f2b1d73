import type { Caller } from "../auth/token-service.ts";
import type { RequestContext } from "./route.ts";

declare global {
  // Express merges this interface into `res.locals`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    /** The request's context, set first (middleware/request-context.ts), and what the log names. */
    interface Locals extends RequestContext {
      caller?: Caller;
      /** The route table's path the request matched, for the log. */
      route?: string;
    }
  }
}

export {};
