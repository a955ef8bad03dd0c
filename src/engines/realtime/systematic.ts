import type { Failure } from '../../http/failure.ts';

/** How many alike failures, with no success before them, make a run's failure systematic. */
export const SYSTEMATIC_AFTER = 5;

/**
 * Watches a run's first requests: until one succeeds, failures with the same signature in a
 * row (a 404 from a wrong path, an unknown model, a refused connection) mean that every request
 * will fail so, and sending the rest would waste the time, or the money, of all of them.
 */
export class SystematicWatch {
	#succeeded = false;
	#signature: string | undefined;
	#count = 0;

	succeeded(): void {
		this.#succeeded = true;
	}

	/** Whether this failure makes the run's failure systematic. */
	failed(failure: Failure): boolean {
		if (this.#succeeded || failure.signature === undefined) return false;
		if (failure.signature === this.#signature) this.#count++;
		else {
			this.#signature = failure.signature;
			this.#count = 1;
		}
		return this.#count === SYSTEMATIC_AFTER;
	}
}
