import type { FakeGoogle } from "./fake-google.ts";

/**
 * A user's browser, as far as OfficeLLM's Google consent needs one: it keeps the cookies that
 * responses set (by name; paths and expiry are left to the server's own checks) and sends them
 * back, and follows redirects one at a time. Links name the server by its PUBLIC_URL, which in
 * tests is not where it listens: they are followed on `serverUrl`.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly #serverUrl: string;

  constructor(serverUrl: string) {
    this.#serverUrl = serverUrl;
  }

  /** One request to the server (a path, or a link on its PUBLIC_URL), not following redirects. */
  async fetch(link: string): Promise<Response> {
    const { pathname, search } = new URL(link, this.#serverUrl);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(`${this.#serverUrl}${pathname}${search}`, {
      redirect: "manual",
      headers: cookie ? { cookie } : {},
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";");
      const split = pair.indexOf("=");
      const name = pair.slice(0, split).trim();
      const cleared = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (cleared || /expires=Thu, 01 Jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(split + 1).trim());
    }
    return response;
  }

  /**
   * Follows `url` (a link from GET /api/v1/calendar/connect) through OfficeLLM's redirects, to
   * Google's consent page; answers that page's URL.
   */
  async openConsentLink(url: string, google: FakeGoogle): Promise<string> {
    let next = url;
    for (let hops = 0; !next.startsWith(`${google.url}/`); hops++) {
      if (hops === 5) throw new Error(`no way to Google's consent page from ${url}`);
      const response = await this.fetch(next);
      const location = response.headers.get("location");
      if (!location)
        throw new Error(`${next} answered ${response.status}: ${await response.text()}`);
      next = new URL(location, next).href;
    }
    return next;
  }

  /**
   * The whole consent in this browser: opens the link, lets the fake Google consent, and follows
   * Google's redirect to the callback; answers the callback's page.
   */
  async consent(
    link: string,
    google: FakeGoogle,
    options?: { grantScope?: string },
  ): Promise<{ status: number; html: string; headers: Headers }> {
    const consent = google.authorize(await this.openConsentLink(link, google), options);
    return this.page(consent.callbackPath);
  }

  /** A page of the server, read whole. */
  async page(link: string): Promise<{ status: number; html: string; headers: Headers }> {
    const response = await this.fetch(link);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }
}
