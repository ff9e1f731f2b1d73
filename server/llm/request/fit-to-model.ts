import type { ModelInfo } from "../model-registry.ts";

/** The caller's sampling parameters, as asked (or as its settings give them). */
export interface RequestedParameters {
  temperature: number | undefined;
  maxTokens: number | undefined;
  stop: string[] | undefined;
}

/** A model to ask, with the caller's parameters fitted to its rules. */
export interface FittedModel {
  model: ModelInfo;
  temperature: number | undefined;
  maxTokens: number | undefined;
  /** Stop sequences sent to the provider. */
  stop: string[] | undefined;
  /** Stop sequences the gateway applies itself, for models that reject them. */
  localStop: string[] | undefined;
}

/**
 * Fits the caller's parameters to a model's rules, so that callers never see a provider error we
 * could have avoided: a model's fixed temperature replaces the caller's, maxTokens is capped at
 * its output limit, and a model that takes no stop sequences gets them applied by the gateway.
 */
export function fitToModel(model: ModelInfo, requested: RequestedParameters): FittedModel {
  return {
    model,
    temperature: model.rules.fixedTemperature ?? requested.temperature,
    maxTokens:
      requested.maxTokens === undefined
        ? undefined
        : Math.min(requested.maxTokens, model.maxOutputTokens),
    stop: model.rules.noStop ? undefined : requested.stop,
    localStop: model.rules.noStop ? requested.stop : undefined,
  };
}
