/**
 * The servers the hostile-input suite attacks, each the real app over real HTTP on a SQLite file
 * in a temporary directory, with Google Calendar configured (a fake Google at the HTTP edge), so
 * that no route answers 503 by design: `demo` answers with the demo provider, as a fresh install
 * does, and `keyed` holds upstream OpenAI and Anthropic keys (a fake provider at the HTTP edge).
 * Their keys, Google's client secret and the encryption key are there to leak.
 */
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import fc from "fast-check";
import { scopes, type Scope } from "../../auth/scopes.ts";
import { loadConfig } from "../../config.ts";
import { createGateway } from "../../llm/gateway.ts";
import { api } from "../api.ts";
import { startFakeGoogle } from "../fake-google.ts";
import { startFakeProvider } from "../fake-provider.ts";
import { startTestServer, type TestServer } from "../harness.ts";
import { UPSTREAM_KEYS, ANTHROPIC_KEY, OPENAI_KEY } from "../llm-rig.ts";
import type { Forbidden } from "./answer-rules.ts";
import type { TokenKind } from "./hostile-case.ts";
import type { RouteContext } from "./route-cases.ts";
import { typicalBodies } from "./typical-bodies.ts";

export interface FuzzTarget {
  name: string;
  server: TestServer;
  port: number;
  context: RouteContext;
  /** The secrets a token kind sends to a route of the given access. */
  tokenSecrets(kind: TokenKind, access: string): string[];
  /** Every secret of this deployment; a caller's own may show in answers to it, no other. */
  forbidden: Forbidden;
  close(): Promise<void>;
}

/**
 * Settings for a long attack: no rate limit gets in the way, and slow headers or bodies are cut
 * after 2 s rather than 10 s.
 */
const attackSettings = {
  RATE_LIMIT_RPM: "1000000",
  AUTH_FAILURES_PER_MINUTE: "1000000",
  HEADERS_TIMEOUT_MS: "2000",
  BODY_TIMEOUT_MS: "2000",
  LOG_LEVEL: "trace",
};

export function startDemoTarget(): Promise<FuzzTarget> {
  return startTarget("demo", undefined);
}

export async function startKeyedTarget(): Promise<FuzzTarget> {
  const fake = await startFakeProvider({ record: false });
  return startTarget("keyed", {
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    },
    secrets: UPSTREAM_KEYS,
    close: () => fake.close(),
  });
}

async function startTarget(
  name: string,
  provider: { env: Record<string, string>; secrets: string[]; close(): Promise<void> } | undefined,
): Promise<FuzzTarget> {
  const google = await startFakeGoogle();
  const encryptionKey = randomBytes(32).toString("hex");
  const env = {
    ...attackSettings,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_BASE_URL: google.url,
    ENCRYPTION_KEY: encryptionKey,
    ...provider?.env,
  };
  const server = await startTestServer({ env, gateway: await createGateway(loadConfig(env)) });
  return prepareTarget(
    name,
    server,
    [...(provider?.secrets ?? []), google.clientSecret, encryptionKey],
    async () => {
      await provider?.close();
      await google.close();
    },
  );
}

async function prepareTarget(
  name: string,
  server: TestServer,
  deploymentSecrets: string[],
  closeEdges: () => Promise<void>,
): Promise<FuzzTarget> {
  const token = async (tokenScopes: Scope[], expiresInMs?: number) =>
    server.token({ name: `fuzz ${tokenScopes.join(" ")}`, scopes: tokenScopes, expiresInMs });
  const all = await token([...scopes]);
  const single = Object.fromEntries(
    await Promise.all(scopes.map(async (scope) => [scope, (await token([scope])).token] as const)),
  ) as Record<Scope, string>;
  const revoked = await token([...scopes]);
  await server.tokens.revoke(revoked.id);
  const expired = await token([...scopes], 1000);
  server.clock.advance(2000);
  // Never sent: only its absence from every answer is checked.
  const bystander = await token([...scopes]);
  // Its id is offered to the token routes, which may rotate or revoke it.
  const sacrificial = await token(["llm"]);

  const template = await api<{ id: string }>(server, all.token, "POST", "/api/v1/templates", {
    name: "fuzz",
    body: "Say {{word}} twice",
  });
  const conversation = await api<{ id: string }>(
    server,
    all.token,
    "POST",
    "/api/v1/conversations",
    {},
  );
  const models = await api<{ data: { id: string }[] }>(server, all.token, "GET", "/v1/models");
  const modelIds = models.body.data.map((model) => model.id);

  const other: Record<string, Scope> = { llm: "calendar", calendar: "admin", admin: "llm" };
  const scopeOf = (access: string): Scope =>
    (scopes as readonly string[]).includes(access) ? (access as Scope) : "llm";
  const tokenSecrets = (kind: TokenKind, access: string): string[] => {
    switch (kind) {
      case "valid":
      case "lowercase-scheme":
      case "trailing-junk":
        return [all.token];
      case "route-scope":
        return [single[scopeOf(access)]];
      case "wrong-scope":
        return [single[other[scopeOf(access)]!]!];
      case "two-tokens":
        return [all.token, single.llm];
      case "revoked":
        return [revoked.token];
      case "expired":
        return [expired.token];
      default:
        return [];
    }
  };

  const databaseDir = dirname(server.config.databaseUrl.slice("sqlite:".length));
  return {
    name,
    server,
    port: Number(new URL(server.url).port),
    context: {
      typical: typicalBodies({
        model: modelIds[0]!,
        templateId: template.body.id,
        now: server.clock.now().toISOString(),
      }),
      hints: {
        model: fc.constantFrom(...modelIds),
        templateId: fc.constant(template.body.id),
        timezone: fc.constantFrom("Europe/Berlin", "UTC", "America/New_York"),
        timeZone: fc.constantFrom("Europe/Berlin", "UTC"),
        now: fc.constant(server.clock.now().toISOString()),
        start: fc.constant("2026-12-01T10:00:00+01:00"),
        end: fc.constant("2026-12-01T11:00:00+01:00"),
      },
      ids: {
        id: [template.body.id, conversation.body.id, sacrificial.id],
        model: modelIds,
      },
    },
    tokenSecrets,
    forbidden: {
      secrets: [
        ...deploymentSecrets,
        ...[all, revoked, expired, bystander, sacrificial].map((t) => t.token),
        ...Object.values(single),
      ],
      paths: [process.cwd(), databaseDir, "node_modules", "server/", "file:///"],
    },
    async close() {
      await server.close();
      await closeEdges();
    },
  };
}
