/**
 * The admin token lives in sessionStorage: it is gone when the browser tab closes, and other tabs
 * (and the task pane, which keeps its own) never see it.
 */
const KEY = "officellm.admin.token";

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (a private window's quota): the console works until the page reloads.
  }
}
