import type { Metrics } from "../../metrics/metrics.ts";
import type { KeyUse } from "../types.ts";

/** What follows one call's attempts on its provider's keys. */
export interface KeyUses {
  /** Given to the provider's request: told of each attempt. */
  onKey: (use: KeyUse) => void;
  /** The key that answered last, for the ledger. */
  answered: () => string | undefined;
}

/** Follows one call's attempts on `provider`'s keys: each counted by key and outcome. */
export function followKeyUses(metrics: Pick<Metrics, "keyAttempt">, provider: string): KeyUses {
  let answered: string | undefined;
  return {
    onKey: (use) => {
      metrics.keyAttempt(provider, use);
      if (use.outcome === "ok") answered = use.label;
    },
    answered: () => answered,
  };
}
