import type { Api, Completion, Usage } from '../core/types.ts';
import type { HeaderReader } from './ratelimit-headers.ts';

/** A 2xx whose body is not the response the endpoint promises: worth another attempt. */
export class MalformedResponseError extends Error {
	override readonly name = 'MalformedResponseError';
	/** The response's headers, which still say what the rate limits are. */
	readonly headers: HeaderReader | undefined;

	constructor(message: string, headers?: HeaderReader) {
		super(message);
		this.headers = headers;
	}
}

/**
 * The largest answer taken, in bytes, in either engine. A model's largest answers (128k tokens
 * with 20 log probabilities each) are near 150 MB; a server that never stops sending is refused
 * here instead of filling memory at network speed.
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/**
 * An answer larger than any a model gives: refused, as a server that never stops sending would
 * fill memory. Another attempt would meet the same.
 */
export class ResponseTooLargeError extends Error {
	override readonly name = 'ResponseTooLargeError';
}

/**
 * A 2xx that came as a server-sent event stream although the request said `"stream": false`:
 * the server does not honour it, and every attempt would be paid for and fail alike.
 */
export class StreamedResponseError extends Error {
	override readonly name = 'StreamedResponseError';
}

export function parseCompletion(api: Api, data: unknown, headers?: HeaderReader): Completion {
	if (data === null || typeof data !== 'object' || Array.isArray(data)) {
		throw new MalformedResponseError(`unparseable response body: ${preview(data)}`);
	}
	const body = data as Record<string, unknown>;
	const model = typeof body.model === 'string' ? body.model : null;
	const completion =
		api === 'chat' ? chatCompletion(body, model) : responsesCompletion(body, model);
	const costUsd = reportedCost(body, headers);
	const serviceTier = typeof body.service_tier === 'string' ? body.service_tier : undefined;
	return costUsd === undefined && serviceTier === undefined
		? completion
		: { ...completion, costUsd, serviceTier };
}

/** The cost the server reports: OpenRouter's `usage.cost`, or LiteLLM's header. */
function reportedCost(body: Record<string, unknown>, headers?: HeaderReader): number | undefined {
	const inUsage = (body.usage as { cost?: unknown } | null | undefined)?.cost;
	const header = headers?.get('x-litellm-response-cost');
	const cost = typeof inUsage === 'number' ? inUsage : header ? Number(header) : undefined;
	return cost !== undefined && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

function chatCompletion(body: Record<string, unknown>, model: string | null): Completion {
	if (!Array.isArray(body.choices)) {
		throw new MalformedResponseError(`response has no "choices": ${preview(body)}`);
	}
	if (body.choices.length === 0) {
		throw new MalformedResponseError(`response has an empty "choices": ${preview(body)}`);
	}
	const choice = (body.choices[0] ?? {}) as Record<string, unknown>;
	const message = (choice.message ?? {}) as Record<string, unknown>;
	const text =
		typeof message.content === 'string'
			? message.content
			: typeof message.refusal === 'string'
				? message.refusal
				: Array.isArray(message.tool_calls)
					? JSON.stringify(message.tool_calls)
					: undefined;
	// No text, no refusal, no tool call: there is no answer, whatever the status said.
	if (text === undefined) {
		throw new MalformedResponseError(`response has no message content: ${preview(body)}`);
	}
	const usage = body.usage as Record<string, unknown> | undefined;
	return {
		text,
		model,
		usage: usage
			? normalizeUsage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
			: null,
		finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
	};
}

function responsesCompletion(body: Record<string, unknown>, model: string | null): Completion {
	if (!Array.isArray(body.output)) {
		throw new MalformedResponseError(`response has no "output": ${preview(body)}`);
	}
	let text = '';
	for (const item of body.output as Record<string, unknown>[]) {
		if (item?.type !== 'message' || !Array.isArray(item.content)) continue;
		for (const part of item.content as Record<string, unknown>[]) {
			if (part?.type === 'output_text' && typeof part.text === 'string') text += part.text;
			else if (part?.type === 'refusal' && typeof part.refusal === 'string') text += part.refusal;
		}
	}
	const usage = body.usage as Record<string, unknown> | undefined;
	const incomplete = (body.incomplete_details as { reason?: unknown } | null | undefined)?.reason;
	return {
		text,
		model,
		usage: usage
			? normalizeUsage(usage.input_tokens, usage.output_tokens, usage.total_tokens)
			: null,
		finishReason:
			body.status === 'completed'
				? 'stop'
				: incomplete === 'max_output_tokens'
					? 'length'
					: typeof incomplete === 'string'
						? incomplete
						: typeof body.status === 'string'
							? body.status
							: null,
	};
}

function normalizeUsage(prompt: unknown, completion: unknown, total: unknown): Usage {
	const p = typeof prompt === 'number' ? prompt : 0;
	const c = typeof completion === 'number' ? completion : 0;
	return {
		prompt_tokens: p,
		completion_tokens: c,
		total_tokens: typeof total === 'number' ? total : p + c,
	};
}

function preview(value: unknown): string {
	const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
	return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
