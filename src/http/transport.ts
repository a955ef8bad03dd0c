import OpenAI, { APIConnectionTimeoutError, APIError, type ClientOptions } from 'openai';
import { Agent, fetch } from 'undici';
import type { Connection, Environment } from '../core/config.ts';
import type { ApiRequest, Completion } from '../core/types.ts';
import { connectionFailure } from './connection.ts';
import type { HeaderReader } from './ratelimit-headers.ts';
import { MalformedResponseError, parseCompletion } from './response.ts';

/**
 * Sends one request, once, and reads its answer. Throws the SDK's errors, or a
 * MalformedResponseError for a 2xx that is no answer; retrying is the engine's job alone.
 */
export type Transport = (
	request: ApiRequest,
	signal: AbortSignal,
) => Promise<{ completion: Completion; headers: HeaderReader }>;

const LOG_LEVELS = new Set(['off', 'error', 'warn', 'info', 'debug']);

/**
 * A transport over the official SDK with its own retries off (`maxRetries: 0`): one retry layer,
 * ours, so that backoff, the 429 pause and the attempt count are all in one place. Everything
 * the SDK would read from process.env is passed explicitly, and its logger (OPENAI_LOG) writes
 * through `log` to stderr instead of console (stdout).
 */
export function createTransport(
	connection: Connection,
	options: {
		readonly timeoutMs: number;
		readonly env: Environment;
		readonly log: (line: string) => void;
	},
): Transport {
	const level = options.env.OPENAI_LOG;
	const write = (...args: unknown[]) =>
		options.log(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
	const client = new OpenAI({
		// The SDK wants a key; a local server that needs none gets no Authorization header.
		apiKey: connection.apiKey ?? 'none',
		...(connection.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
		baseURL: connection.baseURL ?? null,
		organization: connection.organization ?? null,
		project: connection.project ?? null,
		adminAPIKey: null,
		webhookSecret: null,
		maxRetries: 0,
		timeout: options.timeoutMs,
		logger: { error: write, warn: write, info: write, debug: write },
		logLevel: level && LOG_LEVELS.has(level) ? (level as OpenAI['logLevel']) : 'warn',
		// Node's built-in fetch gives up after 300 s without headers or body data, whatever our
		// timeout says; a long answer would then fail as a dropped connection and be paid for
		// again on retry. undici's own fetch, with an Agent given our timeout, honours --timeout.
		fetch: fetch as unknown as ClientOptions['fetch'],
		fetchOptions: {
			dispatcher: new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs }),
		} as ClientOptions['fetchOptions'],
	});
	const origin = originOf(client.baseURL);
	return async (request, signal) => {
		let answer: { data: unknown; response: Response };
		try {
			answer = await client.post(request.path, { body: request.body, signal }).withResponse();
		} catch (error) {
			// A status, a timeout or our own abort says enough; a fetch failure, not yet.
			const status = error instanceof APIError && typeof error.status === 'number';
			if (signal.aborted || status || error instanceof APIConnectionTimeoutError) throw error;
			throw connectionFailure(error, origin) ?? error;
		}
		const { data, response } = answer;
		try {
			return { completion: parseCompletion(request.api, data), headers: response.headers };
		} catch (error) {
			throw new MalformedResponseError((error as Error).message, response.headers);
		}
	};
}

/** `host:port` of the server, for messages: never its path, query or credentials. */
function originOf(baseURL: string): string {
	try {
		return new URL(baseURL).host;
	} catch {
		return baseURL;
	}
}

function safeJson(value: unknown): string {
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}
