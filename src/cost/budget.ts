import { HaltError } from '../core/errors.ts';
import { formatUsd } from '../core/text.ts';
import type { ApiRequest, ResultRecord } from '../core/types.ts';

/**
 * `--max-cost`: the run never spends more than the cap. Each request reserves its worst case
 * (exact input and the whole output bound) before it is sent, and settles to what its answer
 * really cost; a request whose reservation would cross the cap is not sent.
 */
export class Budget {
	readonly #capUsd: number;
	readonly #worstCase: (request: ApiRequest) => Promise<number>;
	/** Spent, plus what requests in flight may still cost. */
	#committed = 0;
	#inFlight = 0;
	#waiting: (() => void)[] = [];

	constructor(capUsd: number, worstCase: (request: ApiRequest) => Promise<number>) {
		this.#capUsd = capUsd;
		this.#worstCase = worstCase;
	}

	/**
	 * The reservation for a request, or the HaltError that stops the run before it. While
	 * requests are in flight their answers usually cost less than reserved: wait for them
	 * before saying the cap is reached.
	 */
	async reserve(request: ApiRequest): Promise<number | HaltError> {
		const worst = await this.#worstCase(request);
		while (this.#committed + worst > this.#capUsd && this.#inFlight > 0)
			await new Promise<void>((resolve) => this.#waiting.push(resolve));
		if (this.#committed + worst > this.#capUsd) return this.reached(worst);
		this.#committed += worst;
		this.#inFlight++;
		return worst;
	}

	/**
	 * Replaces a reservation by what the answer cost. A failure the server answered (a status)
	 * was not billed; one it didn't (a timeout, a dropped connection) may have been, so its
	 * reservation stays.
	 */
	settle(reserved: number, result: ResultRecord | undefined): void {
		if (result?.error === null) this.#committed += (result.cost_usd ?? reserved) - reserved;
		else if (typeof result?.error?.status === 'number') this.#committed -= reserved;
		this.#done();
	}

	/** Gives back the reservation of a request that was never sent. */
	release(reserved: number): void {
		this.#committed -= reserved;
		this.#done();
	}

	/** The error that stops a run whose next prompt could cost `worst` more than the cap allows. */
	reached(worst: number): HaltError {
		return new HaltError(
			`--max-cost ${formatUsd(this.#capUsd)} reached: ${formatUsd(this.#committed)} spent or in flight, and the next prompt could cost up to ${formatUsd(worst)}`,
			'the prompts not sent are left for --resume; raise --max-cost, or bound each answer with --max-tokens',
		);
	}

	/**
	 * For a Batch API shard, which may run for hours: reserves the worst case of the longest
	 * prefix of `requests` that fits now, without waiting. Returns how many fit, what they
	 * reserved, and the worst case of the first that did not.
	 */
	async reservePrefix(
		requests: readonly ApiRequest[],
	): Promise<{ count: number; reserved: number; next: number | undefined }> {
		let reserved = 0;
		for (const [count, request] of requests.entries()) {
			const worst = await this.#worstCase(request);
			if (this.#committed + reserved + worst > this.#capUsd) {
				this.#committed += reserved;
				return { count, reserved, next: worst };
			}
			reserved += worst;
		}
		this.#committed += reserved;
		return { count: requests.length, reserved, next: undefined };
	}

	/** Replaces a shard's reservation by what its answers cost (0 when it never ran). */
	settleShard(reserved: number, spentUsd: number): void {
		this.#committed += spentUsd - reserved;
	}

	#done(): void {
		this.#inFlight--;
		for (const wake of this.#waiting.splice(0)) wake();
	}
}
