import type { Metrics } from "../../metrics/metrics.ts";
import type { ModelRegistry } from "../model-registry.ts";
import type { Answer } from "../pipeline/answer.ts";
import type { PreparedCompletion } from "../request/prepare.ts";
import type { SchemaChecker } from "../schemas/schema-checker.ts";
import type { ResponseCache } from "./response-cache.ts";

export interface AnswerCacheDeps {
  cache: ResponseCache;
  schemas: SchemaChecker;
  registry: ModelRegistry;
  metrics: Metrics;
}

/** Answers given before (response-cache.ts), replayed at no cost while they pass the schema. */
export class AnswerCache {
  readonly #deps: AnswerCacheDeps;

  constructor(deps: AnswerCacheDeps) {
    this.#deps = deps;
  }

  /** The answer kept for the same request, unless it no longer matches the schema asked for. */
  async lookup(prepared: PreparedCompletion): Promise<Answer | undefined> {
    const hit = await this.#deps.cache.get(prepared.key);
    const check =
      hit && prepared.json
        ? this.#deps.schemas.checkJson(hit.text, prepared.json.schema)
        : undefined;
    this.#deps.metrics.cacheLookup(hit !== undefined && check?.ok !== false);
    if (!hit || (check && !check.ok)) return undefined;
    return {
      text: hit.text,
      json: check?.ok ? check.value : undefined,
      usage: hit.usage,
      model: this.#deps.registry.resolve(hit.model),
      retries: 0,
      upstreamMs: 0,
    };
  }

  /** Keeps a cacheable request's answer. */
  async keep(prepared: PreparedCompletion, answer: Answer): Promise<void> {
    if (!prepared.cacheable) return;
    await this.#deps.cache.set(prepared.key, {
      text: answer.text,
      usage: answer.usage,
      model: answer.model.id,
    });
  }
}
