/** A promise that resolves when the signal aborts (never, if it never does). */
export function aborted(signal: AbortSignal): Promise<void> {
	if (signal.aborted) return Promise.resolve();
	return new Promise((resolve) =>
		signal.addEventListener('abort', () => resolve(), { once: true }),
	);
}

/** Iterates until `stopped` resolves, even while a read (stdin) is blocked. */
export async function* abortable<T>(
	iterable: AsyncIterable<T>,
	stopped: Promise<void>,
): AsyncGenerator<T> {
	const iterator = iterable[Symbol.asyncIterator]();
	const end = stopped.then(() => undefined);
	try {
		for (;;) {
			const next = await Promise.race([iterator.next(), end]);
			if (next === undefined || next.done) return;
			yield next.value;
		}
	} finally {
		// A blocked read can't be cut short; don't wait for it, the caller closes the stream.
		iterator.return?.()?.catch(() => {});
	}
}
