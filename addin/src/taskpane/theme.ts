import { useEffect, useState } from "react";
import { prefersDark } from "../office/theme.ts";

/**
 * Dark or light, following the Office theme when Office offers one (checked again when the
 * pane regains focus, since Office has no theme-change event for Excel), else the system's
 * prefers-color-scheme (followed live).
 */
export function useDarkMode(hostKnown: boolean): boolean {
  const [dark, setDark] = useState(prefersDark);
  useEffect(() => {
    const update = () => setDark(prefersDark());
    update();
    const media =
      typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
    media?.addEventListener("change", update);
    window.addEventListener("focus", update);
    document.addEventListener("visibilitychange", update);
    return () => {
      media?.removeEventListener("change", update);
      window.removeEventListener("focus", update);
      document.removeEventListener("visibilitychange", update);
    };
  }, [hostKnown]);
  return dark;
}
