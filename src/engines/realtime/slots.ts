/**
 * At most `size` requests in flight: a counter, where a queue would cost a promise, an event
 * and (for an abortable wait) an AbortController a request. Only the dispatch loop waits, so
 * one waiter is all there is; its wait ends, with no slot, once `stop` aborts.
 */
export class Slots {
	#free: number;
	#waiter: (() => void) | undefined;
	readonly #stop: AbortSignal;

	constructor(size: number, stop: AbortSignal) {
		this.#free = size;
		this.#stop = stop;
		// One listener for the run, not one a wait: every record but the first few waits.
		stop.addEventListener('abort', () => this.#wake(), { once: true });
	}

	/**
	 * Takes a slot: undefined when one was free (or `stop` has aborted: the caller looks), else a
	 * promise that resolves once one is, or once `stop` aborts, holding none.
	 */
	take(): Promise<void> | undefined {
		if (this.#free > 0) {
			this.#free--;
			return undefined;
		}
		if (this.#stop.aborted) return undefined;
		return new Promise((resolve) => {
			this.#waiter = resolve;
		});
	}

	/** Gives a slot back, to the waiter if there is one. */
	give(): void {
		this.#free++;
		if (this.#waiter && !this.#stop.aborted) {
			this.#free--;
			this.#wake();
		}
	}

	#wake(): void {
		const waiter = this.#waiter;
		this.#waiter = undefined;
		waiter?.();
	}
}
