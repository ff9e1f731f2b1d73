/** Pause between two questions, so that the prober leaves the machine to the work it watches. */
const PROBE_INTERVAL_MS = 10;
/** How long the prober keeps asking before it gives up. */
const PROBE_TIMEOUT_MS = 15_000;

export interface Probe {
  sentAt: number;
  receivedAt: number;
  status: number;
}

/**
 * Asks a server the same question as `token` again and again, to see when a change made
 * elsewhere reaches it: every answer is 200 until the first `until` status. A request answered
 * 200 proves the old state lasted at least until it was sent, so "no request sent later than
 * N ms after the change was answered 200" bounds the delay in a way a busy machine can only
 * make late answers, never false failures.
 */
export class Prober {
  readonly probes: Probe[] = [];
  /** The first answer with the `until` status. */
  readonly changed: Promise<Probe>;

  constructor(url: string, token: string, options: { path?: string; until: number }) {
    this.changed = this.#run(`${url}${options.path ?? "/api/v1/me"}`, token, options.until);
  }

  async #run(url: string, token: string, until: number): Promise<Probe> {
    const giveUpAt = Date.now() + PROBE_TIMEOUT_MS;
    while (Date.now() < giveUpAt) {
      const sentAt = Date.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      const probe = { sentAt, receivedAt: Date.now(), status: response.status };
      this.probes.push(probe);
      if (probe.status === until) return probe;
      if (probe.status !== 200) throw new Error(`the server answered ${probe.status}`);
      await new Promise((done) => setTimeout(done, PROBE_INTERVAL_MS));
    }
    throw new Error(`no ${until} within ${PROBE_TIMEOUT_MS} ms`);
  }

  /** The last request answered 200. */
  get lastUnchanged(): Probe {
    return this.probes.filter((probe) => probe.status === 200).at(-1)!;
  }
}
