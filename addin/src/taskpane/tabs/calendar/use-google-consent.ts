import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiClient } from "../../../shared/api-client.ts";
import { getCalendarStatus, getConsentUrl, type CalendarStatus } from "../../calendar-api.ts";
import { openConsent, type ConsentWindow } from "../../consent-window.ts";

/** How often the pane asks whether consent has finished, and for how long. */
const POLL_MS = 2000;
const POLL_FOR_MS = 5 * 60 * 1000;

export interface ConsentWait {
  kind: ConsentWindow["kind"];
  url: string;
}

/**
 * Google's consent from the pane: `open` shows Google's consent page (in a dialog or a window),
 * then asks the backend for the calendar status every 2 s until it says connected (and closes
 * the dialog or window), a request fails, or 5 minutes pass.
 */
export function useGoogleConsent(
  client: ApiClient,
  handlers: { onStatus(status: CalendarStatus): void; onError(error: unknown): void },
) {
  const [waiting, setWaiting] = useState<ConsentWait | null>(null);
  const [timedOut, setTimedOut] = useState(false);
  const poll = useRef<{ timer: ReturnType<typeof setInterval>; window: ConsentWindow } | null>(
    null,
  );

  const stop = useCallback(() => {
    if (poll.current) clearInterval(poll.current.timer);
    poll.current = null;
    setWaiting(null);
  }, []);

  useEffect(() => () => stop(), [stop]);

  async function open() {
    setTimedOut(false);
    const { url } = await getConsentUrl(client);
    const opened = await openConsent(url);
    stop();
    const deadline = Date.now() + POLL_FOR_MS;
    let inFlight = false;
    const timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      void getCalendarStatus(client)
        .then((next) => {
          if (poll.current?.timer !== timer) return;
          handlers.onStatus(next);
          if (next.connected) {
            opened.close();
            stop();
          } else if (Date.now() > deadline) {
            stop();
            setTimedOut(true);
          }
        })
        .catch((caught: unknown) => {
          if (poll.current?.timer !== timer) return;
          stop();
          handlers.onError(caught);
        })
        .finally(() => {
          inFlight = false;
        });
    }, POLL_MS);
    poll.current = { timer, window: opened };
    setWaiting({ kind: opened.kind, url });
  }

  return { waiting, timedOut, open, stop };
}
