import { ProviderError } from "../../provider.ts";

export interface StreamGuardOptions {
  provider: string;
  /** The caller's signal: when it fires, the stream stops at once with the signal's reason. */
  signal: AbortSignal;
  /** Longest wait for the next event before the stream fails with a `timeout` ProviderError. */
  idleTimeoutMs: number;
  /** Stops the underlying HTTP request (the SDK stream's `controller.abort()`). */
  cancel: () => void;
}

/**
 * Iterates an SDK stream with the guarantees the SDKs leave out once the response headers are in:
 * the SDKs' `timeout` stops at the headers, and an abort in the middle of a stream ends their
 * iteration silently, as if the model had finished. Here, a stream that goes quiet for
 * `idleTimeoutMs` fails with `timeout`, and an abort throws the signal's reason.
 */
export async function* guardStream<T>(
  source: AsyncIterable<T>,
  options: StreamGuardOptions,
): AsyncGenerator<T, void, undefined> {
  const { signal, idleTimeoutMs, cancel, provider } = options;
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      const result = await nextWithin(iterator, signal, idleTimeoutMs, provider);
      if (result.done) {
        finished = true;
        break;
      }
      yield result.value;
    }
    // The SDKs end the iteration quietly when the request is aborted.
    signal.throwIfAborted();
  } finally {
    if (!finished) {
      cancel();
      // `return()` waits for the pending `next()`, which `cancel()` settles; never wait on it here.
      void iterator.return?.().catch(() => undefined);
    }
  }
}

function nextWithin<T>(
  iterator: AsyncIterator<T>,
  signal: AbortSignal,
  idleTimeoutMs: number,
  provider: string,
): Promise<IteratorResult<T>> {
  signal.throwIfAborted();
  return new Promise<IteratorResult<T>>((resolve, reject) => {
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new ProviderError(
          "timeout",
          provider,
          `The provider sent nothing for ${idleTimeoutMs} ms in the middle of a stream.`,
        ),
      );
    }, idleTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    iterator.next().then(
      (result) => {
        done();
        resolve(result);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
