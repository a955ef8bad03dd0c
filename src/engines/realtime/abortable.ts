/**
 * Waits for `promise`, or for `signal` to abort, whichever comes first; resolves with the value,
 * or undefined on abort. Unlike Promise.race against a promise that stays pending all run, it
 * leaves nothing behind: the abort listener is removed as soon as `promise` settles. (A race
 * per record against one long-lived promise keeps every race's reaction alive: a leak that
 * sinks a 200,000-prompt run.)
 */
export function orAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
	if (signal.aborted) return Promise.resolve(undefined);
	return new Promise((resolve, reject) => {
		const onAbort = () => resolve(undefined);
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(
			(value) => {
				signal.removeEventListener('abort', onAbort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			},
		);
	});
}

/** Iterates until `signal` aborts, even while a read (stdin) is blocked. */
export async function* abortable<T>(
	iterable: AsyncIterable<T>,
	signal: AbortSignal,
): AsyncGenerator<T> {
	const iterator = iterable[Symbol.asyncIterator]();
	// One listener for the whole iteration, not one a record: it wakes whichever read waits.
	let wake: ((result: undefined) => void) | undefined;
	const onAbort = () => wake?.(undefined);
	signal.addEventListener('abort', onAbort, { once: true });
	try {
		for (;;) {
			if (signal.aborted) return;
			const next = await new Promise<IteratorResult<T> | undefined>((resolve, reject) => {
				wake = resolve;
				iterator.next().then(resolve, reject);
			});
			wake = undefined;
			if (next === undefined || next.done) return;
			yield next.value;
		}
	} finally {
		signal.removeEventListener('abort', onAbort);
		// A blocked read can't be cut short; don't wait for it, the caller closes the stream.
		iterator.return?.()?.catch(() => {});
	}
}
