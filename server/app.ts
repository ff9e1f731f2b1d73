import compression from "compression";
import express, { type Express } from "express";
import { TokenService } from "./auth/token-service.ts";
import type { Clock, Sleep } from "./clock.ts";
import type { Config } from "./config.ts";
import { authenticator } from "./http/middleware/authenticate.ts";
import { errorHandler, notFound } from "./http/middleware/errors.ts";
import { tokenRateLimit } from "./http/middleware/rate-limit.ts";
import { requestContext } from "./http/middleware/request-context.ts";
import { requestLog } from "./http/middleware/request-log.ts";
import { corsPolicy, securityHeaders } from "./http/middleware/security.ts";
import "./http/locals.ts";
import { dispatchRoutes } from "./http/dispatch-routes.ts";
import { jsonBodyReader } from "./http/read-json-body.ts";
import type { Route } from "./http/route.ts";
import type { RateLimits } from "./limits/rate-limits.ts";
import type { Logger } from "./logger.ts";
import { highestBudgetShare } from "./metrics/budget-share.ts";
import { metricsEndpoint, requestMetrics } from "./metrics/http.ts";
import { Metrics } from "./metrics/metrics.ts";
import { connectorDocument } from "./openapi/connector.ts";
import { checkConnectorHost } from "./openapi/connector-host.ts";
import { openApiDocument } from "./openapi/document.ts";
import { answerMarginMs, shortestAttemptMs } from "./llm/pipeline/call-time.ts";
import { CompletionService } from "./llm/completion-service.ts";
import type { Gateway } from "./llm/gateway.ts";
import { adminRoutes } from "./routes/admin.ts";
import { adminConsoleRoutes } from "./routes/admin-console.ts";
import { CalendarService } from "./calendar/calendar-service.ts";
import { calendarRoutes } from "./routes/calendar.ts";
import { webhookRoutes } from "./routes/webhook.ts";
import { addinStatic } from "./routes/addin.ts";
import { completionRoutes } from "./routes/completions.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { Jobs } from "./llm/jobs/jobs.ts";
import type { JobRunner } from "./llm/jobs/submit-job.ts";
import { EmbeddingService } from "./llm/embeddings/embedding-service.ts";
import { llmHeaderNames } from "./routes/llm-headers.ts";
import { modelRoutes } from "./routes/models.ts";
import { openAiCompatibleRoutes } from "./routes/openai-compatible.ts";
import { OutputItems, openAiResponsesRoutes } from "./routes/openai-responses.ts";
import { docsRoutes } from "./routes/docs.ts";
import { homeRoutes } from "./routes/home.ts";
import { manifestRoutes } from "./routes/manifest.ts";
import { healthRoutes, runReadinessChecks, type ReadinessChecks } from "./routes/health.ts";
import type { Backups } from "./store/backup-schedule.ts";
import { meRoutes } from "./routes/me.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { templateRoutes } from "./routes/templates.ts";
import { fileRoutes } from "./routes/files.ts";
import { FileExtractor } from "./files/extractor.ts";
import { usageRoutes } from "./routes/usage.ts";
import type { Store } from "./store/store.ts";
import { version } from "./version.ts";

export interface AppDeps {
  config: Config;
  store: Store;
  limits: RateLimits;
  logger: Logger;
  clock: Clock;
  /** How waits between a provider's retries pass (real time when not given). */
  sleep?: Sleep;
  /** Providers, model registry and response cache. */
  gateway: Gateway;
  /**
   * Readiness checks beyond the store, of parts the server serves without, degraded (Redis):
   * reported by /ready and the metrics, but never a 503.
   */
  readinessChecks?: ReadinessChecks;
  /** The scheduled backups' status (BACKUP_DIR), reported by /health; none when they are off. */
  backups?: Backups;
  /** The add-in's build to serve under /addin/ (addin/dist when not given). */
  addinDirectory?: string;
}

export type OfficeLlmApp = Express & {
  /** The route table, for documentation and for tests that must cover every route. */
  readonly routeTable: readonly Route[];
  /** What GET /metrics shows; the parts started beside the app (backups) report here too. */
  readonly metrics: Metrics;
};

/** Builds the HTTP app from its parts; holds no state outside what it is given. */
export function createApp(deps: AppDeps): OfficeLlmApp {
  const { config, store, limits, logger, clock, gateway } = deps;
  const tokens = new TokenService(store, clock);
  const metrics = new Metrics();
  metrics.useCatalog(gateway.registry.list().map((model) => model.id));
  metrics.gaugeFromSource(
    "officellm_budget_used_ratio_max",
    "The largest share of its monthly budget any token has spent this month (1 = all of it)",
    highestBudgetShare(store, clock),
  );
  metrics.gaugeFromSource(
    "officellm_backup_last_success_timestamp_seconds",
    "When the last verified backup of the embedded database was made (Unix time); 0 before any",
    () => Promise.resolve((deps.backups?.lastGoodAt()?.getTime() ?? 0) / 1000),
  );
  const authenticate = authenticator(tokens, limits, metrics);
  const retry = {
    maxRetries: config.llm.maxRetries,
    baseDelayMs: 250,
    maxDelayMs: 8000,
    maxRetryAfterMs: Math.min(config.llm.timeoutMs, 30_000),
    shortestAttemptMs: shortestAttemptMs(config.llm.timeoutMs),
    sleep: deps.sleep,
  };
  const completions = new CompletionService({
    ...gateway,
    metrics,
    store,
    clock,
    logger,
    timeoutMs: config.llm.timeoutMs,
    answerMarginMs: answerMarginMs(config.requestTimeoutMs),
    requestTimeoutMs: config.requestTimeoutMs,
    providerConcurrency: config.llm.providerConcurrency,
    inFlightPerToken: config.limits.inFlightPerToken,
    queueWaitMs: config.limits.queueWaitMs,
    retry,
    limits: config.limits,
  });
  const embeddings = new EmbeddingService({
    ...gateway,
    cache: gateway.embeddingCache,
    metrics,
    store,
    clock,
    timeoutMs: config.llm.timeoutMs,
    answerMarginMs: answerMarginMs(config.requestTimeoutMs),
    requestTimeoutMs: config.requestTimeoutMs,
    retry,
    limits: config.limits,
    admit: (model, tokenId, time) => completions.admitCall(model, tokenId, time),
  });

  const jobs: JobRunner = {
    completions,
    jobs: new Jobs({ limits: config.limits, clock, logger }),
    itemTimeoutMs: config.requestTimeoutMs,
    itemsInFlight: config.limits.batchInFlight,
  };

  // Google Calendar; GOOGLE_BASE_URL (config) points its client at a fake in tests.
  const calendar = new CalendarService({ store, clock, logger, config });

  const startedAt = clock.now().getTime();
  let openApiCache: unknown;
  let connectorCache: unknown;
  const docs = docsRoutes({
    openApi: () =>
      (openApiCache ??= openApiDocument(routes, { version, serverUrl: config.publicUrl })),
    connector: () => {
      checkConnectorHost(config.publicUrl, config.connectorAllowsInsecureHost);
      return (connectorCache ??= connectorDocument(routes, {
        version,
        publicUrl: config.publicUrl,
      }));
    },
  });
  const readinessChecks = { store: () => store.ping(), ...deps.readinessChecks };
  metrics.readiness(async () =>
    (await runReadinessChecks(readinessChecks)).map(([name, outcome]) => [name, outcome === "ok"]),
  );
  const routes: Route[] = [
    ...healthRoutes({
      version,
      startedAt,
      checks: { store: readinessChecks.store },
      degradable: deps.readinessChecks ?? {},
      backups: deps.backups,
      // /ready stays public for load balancers: any token but an admin's sees what anyone does.
      showsFailures: async (req) =>
        req.headers.authorization !== undefined &&
        (await authenticate(req, "admin").then(
          () => true,
          () => false,
        )),
    }),
    ...docs.routes,
    ...homeRoutes(),
    ...manifestRoutes(config.publicUrl),
    ...meRoutes({ store, clock, defaultRpm: config.rateLimit.defaultRpm }),
    ...adminRoutes({
      tokens,
      store,
      defaultRpm: config.rateLimit.defaultRpm,
      maxPageRows: config.limits.adminPageRows,
    }),
    ...adminConsoleRoutes({
      store,
      gateway,
      clock,
      version,
      startedAt,
      readinessChecks: deps.readinessChecks ?? {},
      maxPageRows: config.limits.adminPageRows,
      backups: deps.backups,
    }),
    ...calendarRoutes({ calendar, completions, clock }),
    ...webhookRoutes({ calendar, completions, clock }),
    ...modelRoutes(gateway.registry),
    ...openAiCompatibleRoutes({ completions, clock }),
    ...openAiResponsesRoutes({
      completions,
      items: new OutputItems(gateway.responseItems),
      clock,
    }),
    ...embeddingRoutes({ embeddings }),
    ...completionRoutes({
      completions,
      batchMaxItems: config.limits.batchItems,
      batchInFlight: config.limits.batchInFlight,
      jobs,
    }),
    ...jobRoutes({ jobs, jobMaxItems: config.limits.jobItems }),
    ...settingsRoutes({ store, clock, registry: gateway.registry }),
    ...templateRoutes({
      store,
      clock,
      registry: gateway.registry,
      templateBytes: config.limits.templateBytes,
    }),
    ...conversationRoutes({
      store,
      clock,
      completions,
      maxMessages: config.limits.conversationMessages,
    }),
    ...usageRoutes({ store, clock }),
    ...fileRoutes({
      store,
      clock,
      extractor: new FileExtractor(config.limits.files),
      limits: config.limits.files,
      bodyTimeoutMs: config.limits.bodyTimeoutMs,
      retentionMs: config.fileRetentionMs,
    }),
  ];

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.set("query parser", "simple");
  app.use(requestContext(config.requestTimeoutMs));
  app.use(requestLog(logger));
  app.use(requestMetrics(metrics));
  app.use(securityHeaders(config.publicUrl));
  app.use(corsPolicy({ ...config, exposedHeaders: llmHeaderNames, routes }));
  // LLM answers are small and latency-bound, so only GETs (the API document, usage, history,
  // the add-in's files) are compressed; server-sent events never are.
  const compress = compression({
    filter: (req, res) =>
      !String(res.getHeader("content-type") ?? "").startsWith("text/event-stream") &&
      compression.filter(req, res),
  });
  app.use((req, res, next) => (req.method === "GET" ? compress(req, res, next) : next()));
  // Not in the route table: an operations endpoint in Prometheus' format, outside the API.
  app.use(metricsEndpoint({ metrics, metricsToken: config.metricsToken, authenticate }));
  app.use(
    dispatchRoutes(
      routes,
      { authenticate, rateLimit: tokenRateLimit(limits, config.rateLimit.defaultRpm, metrics) },
      jsonBodyReader(config.limits),
    ),
  );
  app.use(docs.assets);
  app.use(addinStatic(deps.addinDirectory));
  app.use(notFound);
  app.use(errorHandler(logger));

  return Object.assign(app, { routeTable: routes as readonly Route[], metrics });
}
