/**
 * Light or dark: the Office theme when the host offers one, else the system's preference.
 */

/** True / false from the Office theme, or null when Office gives none. */
export function officeThemeIsDark(): boolean | null {
  if (typeof Office === "undefined") return null;
  let theme: Office.OfficeTheme | undefined;
  try {
    theme = Office.context?.officeTheme;
  } catch {
    return null;
  }
  if (!theme) return null;
  if (typeof theme.isDarkTheme === "boolean") return theme.isDarkTheme;
  return colorIsDark(theme.bodyBackgroundColor);
}

/** Whether a #rrggbb colour is dark (relative luminance below the mid-point); null if unreadable. */
export function colorIsDark(color: string | undefined): boolean | null {
  const match = /^#?([0-9a-f]{6})$/i.exec(color?.trim() ?? "");
  if (!match) return null;
  const value = Number.parseInt(match[1]!, 16);
  const channel = (shift: number) => {
    const c = ((value >> shift) & 0xff) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0);
  return luminance < 0.4;
}

export function systemPrefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

export function prefersDark(): boolean {
  return officeThemeIsDark() ?? systemPrefersDark();
}
