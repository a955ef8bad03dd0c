import type { Writable } from 'node:stream';
import type { ApiRequest, OutputFormat } from '../core/types.ts';
import { type Estimate, EstimateTally, estimateText } from '../cost/estimate.ts';
import { loadPrices } from '../cost/prices.ts';
import { TokenCounter } from '../requests/exact-tokens.ts';
import { outputBound } from '../requests/tokens.ts';

/** Counts every request exactly and prices the whole: what `--estimate` and `--dry-run` say. */
export interface Estimator {
	observe(request: ApiRequest): Promise<void>;
	result(): Estimate;
}

/**
 * Loads the tokenizer and the prices, which only runs that estimate pay for; `memoDir` keeps
 * what the price data said (see loadPrices).
 */
export async function estimator(
	pricesFile: string | undefined,
	model: string,
	memoDir: string,
): Promise<Estimator> {
	const [tokens, prices] = await Promise.all([
		TokenCounter.load(),
		loadPrices(pricesFile, memoDir),
	]);
	const tally = new EstimateTally();
	return {
		async observe(request) {
			const used = typeof request.body.model === 'string' ? request.body.model : model;
			await tokens.prepare(used);
			tally.add(used, tokens.count(request.body, used), outputBound(request.body));
		},
		result: () => tally.estimate(prices),
	};
}

/** `--estimate` on stdout: lines for people, or one JSON object with `-f json` or `-f jsonl`. */
export function writeEstimate(estimate: Estimate, format: OutputFormat, stdout: Writable): void {
	stdout.write(format === 'text' ? estimateText(estimate) : `${JSON.stringify(estimate)}\n`);
}
