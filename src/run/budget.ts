import { UsageError } from '../core/errors.ts';
import type { ApiRequest } from '../core/types.ts';
import { Budget } from '../cost/budget.ts';
import { costOf, type ModelPrice, type PriceLookup } from '../cost/prices.ts';
import { TokenCounter } from '../requests/exact-tokens.ts';
import { outputBound } from '../requests/tokens.ts';

/**
 * Checks that a request can be budgeted (its model has a price, its output a bound) without
 * counting anything: for every request of the input before the first is sent.
 */
export function budgetable(prices: PriceLookup, model: string) {
	return (request: ApiRequest): { price: ModelPrice; bound: number | undefined; model: string } => {
		const used = typeof request.body.model === 'string' ? request.body.model : model;
		if (request.body.service_tier === 'priority')
			throw new UsageError(
				'--max-cost: priority processing has no known price, so no cost can be kept under the cap',
				'leave out --service-tier priority, or the cap',
			);
		const price = prices(used);
		if (!price)
			throw new UsageError(
				`--max-cost: no price for model ${used}, so no cost can be kept under the cap`,
				'give its price with --prices FILE',
			);
		const bound = outputBound(request.body);
		if (bound === undefined && price.contextWindow === undefined)
			throw new UsageError(`--max-cost: the output of ${used} has no bound`, 'give --max-tokens');
		return { price, bound, model: used };
	};
}

/** The budget of a `--max-cost` run: worst cases from exact input tokens and the output bound. */
export async function loadBudget(
	capUsd: number,
	prices: PriceLookup,
	model: string,
	sent: 'realtime' | 'batch' = 'realtime',
): Promise<Budget> {
	const tokens = await TokenCounter.load();
	const check = budgetable(prices, model);
	return new Budget(capUsd, async (request) => {
		const { price, bound, model: used } = check(request);
		await tokens.prepare(used);
		const input = tokens.count(request.body, used);
		// Without --max-tokens, the model may fill what its context window leaves.
		const output = bound ?? Math.max(0, (price.contextWindow as number) - input);
		const tier = sent === 'batch' || request.body.service_tier === 'flex' ? 'batch' : 'realtime';
		return costOf(price, { input, output }, tier);
	});
}
