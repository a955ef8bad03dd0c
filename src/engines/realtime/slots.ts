/**
 * At most `size` requests in flight: a counter, where a queue would cost a promise, an event
 * and (for an abortable wait) an AbortController a request. Only the dispatch loop waits, so
 * one waiter is all there is.
 */
export class Slots {
	#free: number;
	#waiter: (() => void) | undefined;

	constructor(size: number) {
		this.#free = size;
	}

	/** Takes a slot: undefined when one was free, else a promise that resolves once one is. */
	take(): Promise<void> | undefined {
		if (this.#free > 0) {
			this.#free--;
			return undefined;
		}
		return new Promise((resolve) => {
			this.#waiter = () => {
				this.#free--;
				resolve();
			};
		});
	}

	/** Gives a slot back, to the waiter if there is one. */
	give(): void {
		this.#free++;
		const waiter = this.#waiter;
		this.#waiter = undefined;
		waiter?.();
	}
}
