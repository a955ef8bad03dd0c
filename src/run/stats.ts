import type { Pricer, ResultRecord, ResultSource } from '../core/types.ts';
import { tierPriced } from '../cost/prices.ts';
import type { DispatchEvents } from '../engines/realtime/options.ts';
import type { Counts, Pace } from '../terminal/progress-text.ts';

/**
 * Counters of a run, kept from what the engine reports and read by progress and the summary.
 * Plain fields, so the hot path pays an increment and progress reads them on its own timer.
 */
export class RunStats implements Counts, DispatchEvents {
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
	/** USD this run's answers cost, and the answers with no known price. */
	spentUsd = 0;
	unpriced = 0;
	readonly unpricedModels = new Set<string>();
	/** What the same answers would have cost realtime, priced by `realtimePrice`. */
	realtimeUsd = 0;
	realtimePrice: Pricer | undefined = undefined;
	/** The realtime engine's limiter, read for progress. */
	pace: Pace | undefined = undefined;
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

	pacing(pace: Pace): void {
		this.pace = pace;
	}

	requestStarted(retry: boolean): void {
		this.inFlight++;
		if (retry) this.retries++;
	}

	requestEnded(): void {
		this.inFlight--;
	}

	settled(result: ResultRecord, source: ResultSource): void {
		if (result.error?.type === 'aborted') this.aborted++;
		else if (result.error) this.failed++;
		else this.ok++;
		if (source === 'journal') this.resumed++;
		else if (source === 'cache') {
			this.cached++;
			this.cachedTokens += result.usage?.total_tokens ?? 0;
		} else if (result.usage) {
			this.promptTokens += result.usage.prompt_tokens;
			this.completionTokens += result.usage.completion_tokens;
			const discounted = result.batch_id !== null || result.service_tier === 'flex';
			const realtime = discounted
				? (this.realtimePrice?.(result.model ?? '', result.usage, 'default') ?? null)
				: result.cost_usd;
			if (realtime !== null) this.realtimeUsd += realtime;
			if (result.cost_usd !== null) this.spentUsd += result.cost_usd;
			else {
				this.unpriced++;
				const tier = result.service_tier;
				const model = result.model ?? 'an unnamed model';
				this.unpricedModels.add(tierPriced(tier) ? model : `${model} at ${tier} processing`);
			}
		}
	}
}
