import { formatUsd } from '../core/text.ts';
import { costOf, type ModelPrice, type PriceLookup, roundUsd } from './prices.ts';

/** What a run would cost, from exact input tokens and the output bound; USD. */
export interface Estimate {
	readonly prompts: number;
	readonly input_tokens: number;
	/** Output tokens at most, or null: some request has no bound (no --max-tokens). */
	readonly max_output_tokens: number | null;
	/** Per way of sending; null when a model's price is unknown. `max` is null when unbounded. */
	readonly cost_usd: {
		readonly realtime: Range | null;
		readonly batch: Range | null;
		readonly flex: Range | null;
	};
	/** Models in the input, and those of them with no known price. */
	readonly models: readonly string[];
	readonly unknown_prices: readonly string[];
}

export interface Range {
	readonly min: number;
	readonly max: number | null;
}

/** Adds up prompts by model as they are read; `estimate` prices the totals. */
export class EstimateTally {
	readonly #byModel = new Map<string, { prompts: number; input: number; output: number | null }>();

	add(model: string, inputTokens: number, outputBound: number | undefined): void {
		const totals = this.#byModel.get(model) ?? { prompts: 0, input: 0, output: 0 };
		totals.prompts++;
		totals.input += inputTokens;
		totals.output =
			totals.output === null || outputBound === undefined ? null : totals.output + outputBound;
		this.#byModel.set(model, totals);
	}

	estimate(prices: PriceLookup): Estimate {
		const entries = [...this.#byModel];
		const unknown = entries.filter(([model]) => !prices(model)).map(([model]) => model);
		let prompts = 0;
		let input = 0;
		let output: number | null = 0;
		for (const [, t] of entries) {
			prompts += t.prompts;
			input += t.input;
			output = output === null || t.output === null ? null : output + t.output;
		}
		const range = (tier: 'realtime' | 'batch'): Range | null => {
			if (unknown.length > 0) return null;
			let min = 0;
			let max: number | null = 0;
			for (const [model, t] of entries) {
				const price = prices(model) as ModelPrice;
				min += costOf(price, { input: t.input, output: 0 }, tier);
				max =
					max === null || t.output === null
						? null
						: max + costOf(price, { input: t.input, output: t.output }, tier);
			}
			return { min: roundUsd(min), max: max === null ? null : roundUsd(max) };
		};
		const batch = range('batch');
		return {
			prompts,
			input_tokens: input,
			max_output_tokens: output,
			cost_usd: { realtime: range('realtime'), batch, flex: batch },
			models: entries.map(([model]) => model),
			unknown_prices: unknown,
		};
	}
}

/** The estimate as a few lines for people. */
export function estimateText(estimate: Estimate): string {
	const usd = (range: Range) =>
		`${formatUsd(range.min)} to ${range.max === null ? 'unbounded' : formatUsd(range.max)}`;
	const { realtime, batch, flex } = estimate.cost_usd;
	const lines = [
		`prompts: ${estimate.prompts}`,
		`input tokens: ${estimate.input_tokens} (exact; ${estimate.models.join(', ') || 'no model'})`,
		`output tokens: ${estimate.max_output_tokens === null ? 'unbounded: give --max-tokens to bound them' : `at most ${estimate.max_output_tokens}`}`,
		realtime && batch && flex
			? `cost: ${usd(realtime)} realtime, ${usd(batch)} with --batch, ${usd(flex)} with flex processing`
			: `cost: unknown, no price for ${estimate.unknown_prices.join(', ')}: give --prices FILE`,
	];
	return `${lines.join('\n')}\n`;
}
