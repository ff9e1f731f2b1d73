/**
 * Opens Google's consent page: in an Office dialog when the host has the Dialog API, else (or
 * when Office refuses the dialog, for example because the page's domain is not in the
 * manifest's AppDomains) in a browser window. The pane learns the outcome by polling status.
 */

export interface ConsentWindow {
  /** How it was opened, for the message the pane shows. */
  kind: "dialog" | "window" | "blocked";
  close(): void;
}

function officeUi(): Office.UI | undefined {
  if (typeof Office === "undefined") return undefined;
  try {
    const ui = Office.context?.ui;
    return typeof ui?.displayDialogAsync === "function" ? ui : undefined;
  } catch {
    return undefined;
  }
}

function openWindow(url: string): ConsentWindow {
  const opened = window.open(url, "officellm-google-consent", "popup,width=520,height=680");
  if (!opened) return { kind: "blocked", close: () => {} };
  return { kind: "window", close: () => opened.close() };
}

export function openConsent(url: string): Promise<ConsentWindow> {
  const ui = officeUi();
  if (!ui) return Promise.resolve(openWindow(url));
  return new Promise((resolve) => {
    try {
      ui.displayDialogAsync(
        url,
        { height: 70, width: 35, promptBeforeOpen: false },
        (result: Office.AsyncResult<Office.Dialog>) => {
          // Compared as text: a stand-in Office may lack the enum.
          if (String(result.status) !== "succeeded") {
            resolve(openWindow(url));
            return;
          }
          const dialog = result.value;
          resolve({
            kind: "dialog",
            close: () => {
              try {
                dialog.close();
              } catch {
                // Already closed by the user.
              }
            },
          });
        },
      );
    } catch {
      resolve(openWindow(url));
    }
  });
}
