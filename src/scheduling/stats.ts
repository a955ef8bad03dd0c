/**
 * Counters of a run, written by the runner and read by progress and the summary. Plain fields,
 * so the hot path pays an increment and progress reads them on its own timer.
 */
export class RunStats {
	/** Prompts in the input, when known in advance (files); undefined while stdin streams. */
	total: number | undefined = undefined;
	ok = 0;
	failed = 0;
	/** Prompts stopped by an interrupt or a fatal error; not their own failure. */
	aborted = 0;
	/** Attempts beyond the first, over all prompts. */
	retries = 0;
	inFlight = 0;
	promptTokens = 0;
	completionTokens = 0;
	/** Answered from the cache, and the tokens that saved. */
	cached = 0;
	cachedTokens = 0;
	/** Successes an earlier run recorded (`--resume`), not sent again. */
	resumed = 0;
	readonly startedAt: number;

	constructor(now = performance.now()) {
		this.startedAt = now;
	}

	/** Prompts that have their result. */
	get done(): number {
		return this.ok + this.failed + this.aborted;
	}

	/** Prompts that have their result from a request: what rates and ETAs are made of. */
	get sent(): number {
		return this.done - this.resumed - this.cached;
	}

	elapsedMs(now = performance.now()): number {
		return now - this.startedAt;
	}
}
