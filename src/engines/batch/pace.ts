/** The Batch API takes at most this many batch creations an hour. */
export const CREATIONS_PER_HOUR = 2000;

const HOUR_MS = 3_600_000;

/**
 * Keeps batch creations under the service's hourly limit: `delay` says how long the next one
 * must wait (0 at once), `created` records one. Pure, with the time passed in.
 */
export class CreationPace {
	readonly #limit: number;
	readonly #times: number[] = [];

	constructor(limit = CREATIONS_PER_HOUR) {
		this.#limit = limit;
	}

	delay(now: number): number {
		while (this.#times.length > 0 && (this.#times[0] as number) <= now - HOUR_MS)
			this.#times.shift();
		if (this.#times.length < this.#limit) return 0;
		return (this.#times[0] as number) + HOUR_MS - now;
	}

	created(now: number): void {
		this.#times.push(now);
	}
}
