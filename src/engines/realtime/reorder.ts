/**
 * Releases results in input order however they complete. It holds at most `window` indexes
 * past the first unreleased one: `admit` waits when the window is full, which is how a slow
 * prompt (or a slow reader of our output) holds dispatch back instead of filling memory.
 */
export class Reorder<T> {
	readonly #window: number;
	readonly #release: (item: T) => void | Promise<void>;
	readonly #ready = new Map<number, T>();
	#next = 1;
	#flushing: Promise<void> = Promise.resolve();
	#waiters: { index: number; resolve: () => void }[] = [];

	/** `release` gets every item once, in index order (1-based); awaited before the next. */
	constructor(window: number, release: (item: T) => void | Promise<void>) {
		if (!(window >= 1)) throw new RangeError('window must be at least 1');
		this.#window = window;
		this.#release = release;
	}

	/** How many results are held, waiting for an earlier one. */
	get held(): number {
		return this.#ready.size;
	}

	/** The next index to be released. */
	get next(): number {
		return this.#next;
	}

	/** Undefined when `index` fits in the window, else a promise that resolves once it does. */
	admit(index: number): Promise<void> | undefined {
		if (index < this.#next + this.#window) return undefined;
		return new Promise((resolve) => this.#waiters.push({ index, resolve }));
	}

	/** Hands in the result for `index`; resolves when everything releasable is released. */
	put(index: number, item: T): Promise<void> {
		this.#ready.set(index, item);
		this.#flushing = this.#flushing.then(() => this.#drain());
		return this.#flushing;
	}

	/** Resolves when everything handed in so far that can be released has been. */
	flushed(): Promise<void> {
		return this.#flushing;
	}

	async #drain(): Promise<void> {
		while (this.#ready.has(this.#next)) {
			const item = this.#ready.get(this.#next) as T;
			this.#ready.delete(this.#next);
			await this.#release(item);
			this.#next++;
		}
		const limit = this.#next + this.#window;
		this.#waiters = this.#waiters.filter((waiter) => {
			if (waiter.index >= limit) return true;
			waiter.resolve();
			return false;
		});
	}
}
