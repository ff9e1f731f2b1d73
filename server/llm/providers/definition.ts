/** Parameters a model refuses, which the gateway leaves out or fixes before calling it. */
export interface ParameterRules {
  /** The model accepts only this temperature (reasoning models take 1 only). */
  fixedTemperature?: number;
  /** The model rejects stop sequences. */
  noStop?: boolean;
}

/** What the catalog knows of a model: its limits, prices and parameter rules. */
export interface CatalogEntry {
  id: string;
  contextWindow: number;
  maxOutputTokens: number;
  /**
   * USD per million tokens, with at most three decimals: a whole number of nano-dollars per
   * token, so that every cost the ledger keeps is exact (server/util/money.ts).
   */
  inputPerMillion: number;
  outputPerMillion: number;
  /** Whether the provider enforces a JSON schema natively (else: instruct and validate). */
  structuredOutput: boolean;
  rules: ParameterRules;
}
