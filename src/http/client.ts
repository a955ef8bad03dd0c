import OpenAI, { type ClientOptions } from 'openai';
import { Agent, fetch, Response, Headers as UndiciHeaders } from 'undici';
import type { Connection, Environment } from '../core/config.ts';
import { errorFromBody } from './error-body.ts';

export interface ClientSetup {
	/** Per request. */
	readonly timeoutMs: number;
	readonly env: Environment;
	/** Where the SDK's own log (OPENAI_LOG) goes: stderr, never console (stdout). */
	readonly log: (line: string) => void;
}

const LOG_LEVELS = new Set(['off', 'error', 'warn', 'info', 'debug']);

/**
 * The official SDK's client, with its own retries off (`maxRetries: 0`): retrying is ours, and
 * a batch creation must never be retried blindly (it has no idempotency key). Everything the
 * SDK would read from process.env is passed explicitly.
 */
export function createClient(connection: Connection, options: ClientSetup): OpenAI {
	const level = options.env.OPENAI_LOG;
	const write = (...args: unknown[]) =>
		options.log(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
	return new OpenAI({
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
		fetch: normalizingFetch as unknown as ClientOptions['fetch'],
		fetchOptions: {
			dispatcher: new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs }),
		} as ClientOptions['fetchOptions'],
	});
}

/**
 * undici's fetch, with every failed answer's body rewritten to OpenAI's error shape, so that
 * the SDK finds the message in whatever shape the server wrote it (see errorFromBody).
 */
async function normalizingFetch(...args: Parameters<typeof fetch>): Promise<Response> {
	const response = await fetch(...args);
	if (response.ok) return response;
	const error = errorFromBody(await response.text());
	const headers = new UndiciHeaders(response.headers);
	headers.set('content-type', 'application/json');
	headers.delete('content-length');
	headers.delete('content-encoding');
	return new Response(JSON.stringify({ error }), {
		status: response.status,
		statusText: response.statusText,
		headers,
	});
}

function safeJson(value: unknown): string {
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}
