/** The mock server's answers: OpenAI-shaped bodies, errors and rate-limit headers. */
import type { ServerResponse } from 'node:http';

export interface RateLimits {
	readonly rpm?: number;
	readonly tpm?: number;
	readonly enforce?: boolean;
	readonly windowMs?: number;
}

/**
 * The answer echoes the prompt; a cap of N tokens keeps its first 4N characters, as a model
 * cut off by its length limit would.
 */
export function chatBody(
	body: Record<string, unknown>,
	prompt: string,
	tokens: number,
	cap?: number,
) {
	const cut = cap !== undefined && tokens > cap;
	return {
		id: `chatcmpl-mock${Math.floor(Math.random() * 1e9)}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model: String(body.model ?? 'mock'),
		choices: [
			{
				index: 0,
				message: {
					role: 'assistant',
					content: cut ? prompt.slice(0, 4 * cap) : prompt,
					refusal: null,
				},
				logprobs: null,
				finish_reason: cut ? 'length' : 'stop',
			},
		],
		usage: {
			prompt_tokens: tokens,
			completion_tokens: cut ? cap : tokens,
			total_tokens: tokens + (cut ? cap : tokens),
		},
	};
}

export function responsesBody(body: Record<string, unknown>, prompt: string, tokens: number) {
	return {
		id: `resp_mock${Math.floor(Math.random() * 1e9)}`,
		object: 'response',
		created_at: Math.floor(Date.now() / 1000),
		status: 'completed',
		model: String(body.model ?? 'mock'),
		output: [
			{
				type: 'message',
				id: 'msg_mock',
				status: 'completed',
				role: 'assistant',
				content: [{ type: 'output_text', text: prompt, annotations: [] }],
			},
		],
		usage: { input_tokens: tokens, output_tokens: tokens, total_tokens: 2 * tokens },
	};
}

export function apiError(message: string, type: string, code: string | null) {
	return { error: { message, type, param: null, code } };
}

/** OpenAI-style headers from a sliding one-minute window of what was accepted. */
export function rateLimitHeaders(
	limits: RateLimits | undefined,
	window: { at: number; tokens: number }[],
	now: number,
	tokens: number,
): { headers: Record<string, string>; exceeded: boolean } {
	if (!limits) return { headers: {}, exceeded: false };
	const span = limits.windowMs ?? 60_000;
	while (window.length > 0 && (window[0] as { at: number }).at <= now - span) window.shift();
	const used = window.length;
	const usedTokens = window.reduce((sum, entry) => sum + entry.tokens, 0);
	const exceeded =
		limits.enforce === true &&
		((limits.rpm !== undefined && used >= limits.rpm) ||
			(limits.tpm !== undefined && usedTokens + tokens > limits.tpm));
	if (!exceeded) window.push({ at: now, tokens });
	const headers: Record<string, string> = {};
	if (limits.rpm !== undefined) {
		const remaining = Math.max(0, limits.rpm - window.length);
		headers['x-ratelimit-limit-requests'] = String(limits.rpm);
		headers['x-ratelimit-remaining-requests'] = String(remaining);
		headers['x-ratelimit-reset-requests'] =
			`${Math.ceil(((limits.rpm - remaining) * span) / limits.rpm)}ms`;
	}
	if (limits.tpm !== undefined) {
		const remaining = Math.max(0, limits.tpm - usedTokens - (exceeded ? 0 : tokens));
		headers['x-ratelimit-limit-tokens'] = String(limits.tpm);
		headers['x-ratelimit-remaining-tokens'] = String(remaining);
		headers['x-ratelimit-reset-tokens'] =
			`${Math.ceil(((limits.tpm - remaining) * span) / limits.tpm)}ms`;
	}
	return { headers, exceeded };
}

/** The prompt as the server sees it: the last user message, or the Responses `input`. */
export function promptOf(body: Record<string, unknown>): string {
	const input = body.messages ?? body.input;
	if (typeof input === 'string') return input;
	if (!Array.isArray(input)) return '';
	const users = input.filter((m) => (m as { role?: unknown })?.role === 'user');
	const content = (users.at(-1) as { content?: unknown } | undefined)?.content;
	return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/**
 * A 200 that begins as `opening` and never ends, as fast as the client reads it: a server gone
 * wrong, or hostile, for the limit on an answer's size.
 */
export function sendEndless(res: ServerResponse, contentType: string, opening: string): void {
	res.writeHead(200, { 'content-type': contentType });
	res.write(opening);
	const chunk = Buffer.alloc(1 << 20, 'x');
	const pump = () => {
		while (!res.destroyed && res.write(chunk));
	};
	res.on('drain', pump);
	pump();
}
