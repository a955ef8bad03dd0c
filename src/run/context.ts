import { InputError } from '../core/errors.ts';
import { Memo } from '../core/memo.ts';
import type { ApiRequest, PromptRecord } from '../core/types.ts';
import type { PriceLookup } from '../cost/prices.ts';
import { countBody, TokenCounter } from '../requests/exact-tokens.ts';
import { outputBound } from '../requests/tokens.ts';

/** Refuses a prompt its model cannot take: the server would answer 400 for nothing. */
export type ContextCheck = (record: PromptRecord, request: ApiRequest) => Promise<void>;

/**
 * The check that each prompt, with the output it asks for, fits its model's context window
 * (known from the price data or `--prices`). A byte-level BPE token covers at least one byte,
 * and a UTF-16 code unit is at most three, so counting each text as three tokens a character
 * bounds the count from above without the tokenizer, which is loaded only for the rare prompt
 * that might not fit by that bound.
 */
export function contextCheck(prices: PriceLookup, model: string): ContextCheck {
	let tokens: Promise<TokenCounter> | undefined;
	return async (record, request) => {
		const used = typeof request.body.model === 'string' ? request.body.model : model;
		const window = prices(used)?.contextWindow;
		if (window === undefined) return;
		const output = outputBound(request.body) ?? 0;
		if (countBody(request.body, (text) => 3 * text.length) + output <= window) return;
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

/**
 * Passes records on, each checked first: for input read once, where no preflight can look
 * ahead. Each request is built once: `build` hands the engine the one the check saw.
 */
export function checkedRecords(
	records: AsyncIterable<PromptRecord>,
	build: (record: PromptRecord) => ApiRequest,
	check: ContextCheck,
): { records: AsyncIterable<PromptRecord>; build: (record: PromptRecord) => ApiRequest } {
	const built = new Memo<PromptRecord, ApiRequest>();
	async function* checked() {
		for await (const record of records) {
			const request = build(record);
			await check(record, request);
			built.set(record, request);
			yield record;
		}
	}
	return { records: checked(), build: (record) => built.get(record) ?? build(record) };
}
