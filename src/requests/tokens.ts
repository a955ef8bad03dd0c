/**
 * Tokens a request will count against a tokens-per-minute limit, estimated before sending the
 * way OpenAI's limiter does: prompt tokens from the character count (about 4 characters a
 * token, plus a few per message for the chat framing) plus the maximum output requested.
 * The limiter settles the estimate against the `usage` the server returns, so a rough but
 * cheap estimate costs nothing in accuracy over a run; a real tokenizer would cost per-request
 * CPU and a large dependency for no better pacing.
 */
export function estimateTokens(body: Readonly<Record<string, unknown>>): number {
	let chars = textLength(body.instructions);
	let framing = 3;
	const messages = body.messages ?? body.input;
	if (Array.isArray(messages)) {
		for (const message of messages) {
			framing += 4;
			chars += textLength((message as { content?: unknown }).content);
		}
	} else {
		chars += textLength(messages) + textLength(body.prompt);
	}
	return Math.ceil(chars / 4) + framing + (outputBound(body) ?? 0);
}

/** The most output tokens a body lets the model write (every choice), or undefined: no bound. */
export function outputBound(body: Readonly<Record<string, unknown>>): number | undefined {
	const max = firstNumber(body.max_completion_tokens, body.max_tokens, body.max_output_tokens);
	const choices = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
	return max === undefined ? undefined : max * choices;
}

function textLength(value: unknown): number {
	if (typeof value === 'string') return value.length;
	if (Array.isArray(value)) {
		let total = 0;
		for (const part of value) total += textLength((part as { text?: unknown })?.text ?? part);
		return total;
	}
	return 0;
}

function firstNumber(...values: unknown[]): number | undefined {
	return values.find((value): value is number => typeof value === 'number');
}
