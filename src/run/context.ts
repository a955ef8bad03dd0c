import { InputError } from '../core/errors.ts';
import type { ApiRequest, PromptRecord } from '../core/types.ts';
import type { PriceLookup } from '../cost/prices.ts';
import { TokenCounter } from '../requests/exact-tokens.ts';
import { outputBound } from '../requests/tokens.ts';

/** Refuses a prompt its model cannot take: the server would answer 400 for nothing. */
export type ContextCheck = (record: PromptRecord, request: ApiRequest) => Promise<void>;

/**
 * The check that each prompt, with the output it asks for, fits its model's context window
 * (known from the price data or `--prices`). A byte-level BPE token covers at least one byte,
 * so a body whose JSON is smaller than the window fits without counting: the tokenizer is
 * loaded only for the rare prompt that might not.
 */
export function contextCheck(prices: PriceLookup, model: string): ContextCheck {
	let tokens: Promise<TokenCounter> | undefined;
	return async (record, request) => {
		const used = typeof request.body.model === 'string' ? request.body.model : model;
		const window = prices(used)?.contextWindow;
		if (window === undefined) return;
		const output = outputBound(request.body) ?? 0;
		if (Buffer.byteLength(JSON.stringify(request.body)) + output <= window) return;
		tokens ??= TokenCounter.load();
		const counter = await tokens;
		await counter.prepare(used);
		const input = counter.count(request.body, used);
		if (input + output <= window) return;
		throw new InputError(
			record.file,
			record.line,
			output > 0
				? `prompt ${record.index} is ${input} tokens and asks for up to ${output} more, past the ${window}-token context window of ${used}`
				: `prompt ${record.index} is ${input} tokens, past the ${window}-token context window of ${used}`,
			output > 0 && input < window
				? 'lower --max-tokens, or shorten the prompt'
				: 'shorten or split the prompt, or use a model with a larger context window',
		);
	};
}

/** Passes records on, each checked first: for input read once, where no preflight can look ahead. */
export async function* checkedRecords(
	records: AsyncIterable<PromptRecord>,
	build: (record: PromptRecord) => ApiRequest,
	check: ContextCheck,
): AsyncGenerator<PromptRecord> {
	for await (const record of records) {
		await check(record, build(record));
		yield record;
	}
}
