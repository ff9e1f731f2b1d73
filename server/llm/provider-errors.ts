import { ApiError } from "../errors.ts";
import { scrubSecrets } from "../logger.ts";
import { ProviderError } from "./provider.ts";

/** What a caller sees of a provider failure: its kind and the provider's own words. */
export function toApiError(error: ProviderError): ApiError {
  const said = scrubSecrets(error.message);
  switch (error.kind) {
    case "rate_limited": {
      const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
      return new ApiError("rate_limited", `${error.provider} is rate limiting requests: ${said}`, {
        headers: { "retry-after": String(seconds) },
      });
    }
    case "timeout":
      return new ApiError("upstream_timeout", `${error.provider} did not answer in time`);
    case "rejected":
      if (error.status === 401 || error.status === 403) {
        return new ApiError(
          "upstream_error",
          `${error.provider} refused this server's credentials; ask your OfficeLLM administrator to check them`,
        );
      }
      return new ApiError("upstream_error", `${error.provider} rejected the request: ${said}`);
    case "invalid_output":
      return new ApiError("upstream_error", said);
    default:
      return new ApiError("upstream_error", `${error.provider} failed: ${said}`);
  }
}
