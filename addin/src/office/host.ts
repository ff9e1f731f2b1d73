import { realTimer, type Timer } from "../shared/timer.ts";

/**
 * Where the pane runs. office.js may be missing (a plain browser, offline, the CDN blocked) or
 * may load outside Office (`host: null`); the pane must render either way, and quickly.
 */

export interface HostInfo {
  /** "Excel" inside Excel; null outside Office or before Office answers. */
  host: string | null;
  platform: string | null;
}

const OUTSIDE: HostInfo = { host: null, platform: null };

/**
 * Resolves with the host once office.js is ready, or as "outside Office" after `timeoutMs`
 * (Office.onReady never settles when office.js loaded outside an Office host on some browsers).
 * A host that answers after the timeout (a slow desktop start) is still reported through
 * `onLate`, so the pane can switch to Excel mode then.
 */
export function detectHost(
  options: { timeoutMs?: number; onLate?: (info: HostInfo) => void; timer?: Timer } = {},
): Promise<HostInfo> {
  const { timeoutMs = 1500, onLate, timer = realTimer } = options;
  if (typeof Office === "undefined" || typeof Office.onReady !== "function")
    return Promise.resolve(OUTSIDE);
  return new Promise((resolve) => {
    let settled = false;
    const cancelTimeout = timer.after(timeoutMs, () => {
      settled = true;
      resolve(OUTSIDE);
    });
    let ready: Promise<{ host: Office.HostType | null; platform: Office.PlatformType | null }>;
    try {
      ready = Promise.resolve(Office.onReady());
    } catch {
      ready = Promise.resolve({ host: null, platform: null });
    }
    ready.then(
      (info) => {
        const found: HostInfo = {
          host: info?.host ? String(info.host) : null,
          platform: info?.platform ? String(info.platform) : null,
        };
        if (!settled) {
          settled = true;
          cancelTimeout();
          resolve(found);
        } else if (found.host) {
          onLate?.(found);
        }
      },
      () => {
        if (!settled) {
          settled = true;
          cancelTimeout();
          resolve(OUTSIDE);
        }
      },
    );
  });
}

/** Office.HostType.Excel is the string "Excel". */
export function isExcelHost(info: HostInfo): boolean {
  return info.host === "Excel";
}
