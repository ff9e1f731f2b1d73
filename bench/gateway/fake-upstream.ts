/**
 * Child process: the fake provider on an ephemeral port; prints its URL as one JSON line.
 * FAKE_LATENCY_MS delays every answer (a model's time to answer).
 */
import { startFakeProvider } from "../../server/test/fake-provider.ts";

const fake = await startFakeProvider({
  record: false,
  latencyMs: Number(process.env.FAKE_LATENCY_MS ?? 0),
});
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
