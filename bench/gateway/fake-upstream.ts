/** Child process: the fake provider on an ephemeral port; prints its URL as one JSON line. */
import { startFakeProvider } from "../../server/test/fake-provider.ts";

const fake = await startFakeProvider({ record: false });
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
