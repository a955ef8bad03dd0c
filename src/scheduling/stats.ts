/**
 * Counters of a run, written by the runner and read by progress and the summary. Plain fields,
 * so the hot path pays an increment and progress reads them on its own timer.
 */
export class RunStats {
	/** Prompts in the input, when known in advance (files); undefined while stdin streams. */
	total: number | undefined = undefined;
	ok = 0;
	failed = 0;
	/** Attempts beyond the first, over all prompts. */
	retries = 0;
	inFlight = 0;
	promptTokens = 0;
	completionTokens = 0;
	readonly startedAt: number;

	constructor(now = performance.now()) {
		this.startedAt = now;
	}

	get done(): number {
		return this.ok + this.failed;
	}

	elapsedMs(now = performance.now()): number {
		return now - this.startedAt;
	}
}
