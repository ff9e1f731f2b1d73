import { useCallback, useEffect, useState } from "react";

export type Loaded<T> =
  { state: "loading" } | { state: "failed"; message: string } | { state: "ready"; data: T };

/**
 * Runs `load` when `key` changes (and on `reload`), keeping only the answer to the latest run: an
 * older answer arriving late is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setResult({ state: "loading" });
    load().then(
      (data) => current && setResult({ state: "ready", data }),
      (error: unknown) =>
        current &&
        setResult({
          state: "failed",
          message: error instanceof Error ? error.message : String(error),
        }),
    );
    return () => {
      current = false;
    };
    // `load` is a new function each render; `key` says when what it loads has changed.
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return [result, reload];
}
