import { APIConnectionTimeoutError, APIError } from 'openai/error';
import { bodyJson } from '../core/body-json.ts';
import type { Connection } from '../core/config.ts';
import { OPENAI_BASE_URL } from '../core/options.ts';
import { ConnectionFailure, connectionFailure, originOf } from './connection.ts';
import { errorFromBody } from './error-body.ts';
import type { HeaderReader } from './ratelimit-headers.ts';
import {
	MAX_ANSWER_BYTES,
	MalformedResponseError,
	parseCompletion,
	ResponseTooLargeError,
	StreamedResponseError,
} from './response.ts';
import type { Transport } from './transport.ts';
import { undiciPool } from './undici-pool.ts';

export interface DirectSetup {
	/**
	 * How long an attempt may wait for the answer's headers, then between pieces of its body,
	 * and for the whole body.
	 */
	readonly timeoutMs: number;
	/** Requests in flight at most: the connections kept open to the server. */
	readonly connections: number;
}

const { Agent, send } = undiciPool();

/** How often answers being read are looked at for one that has not come whole in time. */
const SWEEP_EVERY_MS = 1000;

/** What cuts an answer that did not come whole in time. */
class CameTooSlowly extends Error {}

/** undici's codes for an answer that did not come in time. */
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Sends each request with undici's `request` on a keep-alive pool sized to the concurrency,
 * instead of through the SDK's fetch: the per-request path of a run, where the SDK and fetch
 * cost three times the CPU of the request itself (URL and log building, Headers, streams).
 * What it throws has the shapes the SDK's would (APIError by status, with OpenAI's message,
 * code and type; APIConnectionTimeoutError; ConnectionFailure), so that classifying, retrying
 * and the output records are the same whichever transport sent the request.
 */
export function createDirectTransport(connection: Connection, setup: DirectSetup): Transport {
	const base = (connection.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
	const origin = originOf(base);
	const { origin: target, pathname } = new URL(base);
	const prefix = pathname.replace(/\/+$/, '');
	const dispatcher = new Agent({
		connections: setup.connections,
		headersTimeout: setup.timeoutMs,
		bodyTimeout: setup.timeoutMs,
		maxResponseSize: MAX_ANSWER_BYTES,
	});
	const headers: Record<string, string> = {
		'content-type': 'application/json',
		accept: 'application/json',
		'user-agent': 'promptbatch',
	};
	if (connection.apiKey !== undefined) headers.authorization = `Bearer ${connection.apiKey}`;
	if (connection.organization) headers['openai-organization'] = connection.organization;
	if (connection.project) headers['openai-project'] = connection.project;

	// undici's bodyTimeout bounds the wait between pieces, so a server sending a byte at a time
	// held an attempt for ever: a body must also come whole within the timeout. One sweep for
	// all, not a timer a request (which cost 2-3% of a run's time).
	const reading = new Map<{ destroy(error: Error): unknown }, number>();
	let sweeping: NodeJS.Timeout | undefined;
	const sweep = () => {
		if (reading.size === 0) {
			clearInterval(sweeping);
			sweeping = undefined;
		}
		const now = Date.now();
		for (const [body, began] of reading)
			if (now - began > setup.timeoutMs) body.destroy(new CameTooSlowly());
	};
	// One listener a signal, not one a request: cancelling ends every request in flight at once.
	const watched = new WeakSet<AbortSignal>();
	return async (request, signal) => {
		if (!watched.has(signal)) {
			watched.add(signal);
			signal.addEventListener('abort', () => dispatcher.destroy().catch(() => {}), { once: true });
		}
		if (signal.aborted) throw signal.reason;
		let answer: Awaited<ReturnType<typeof send>>;
		try {
			answer = await send.call(dispatcher, {
				origin: target,
				path: `${prefix}${request.path}`,
				method: 'POST',
				headers,
				body: bodyJson(request),
			});
		} catch (error) {
			throw signal.aborted ? error : noAnswer(error, origin);
		}
		const reader = headerReader(answer.headers);
		let text: string;
		const { body } = answer;
		reading.set(body, Date.now());
		sweeping ??= setInterval(sweep, Math.min(SWEEP_EVERY_MS, setup.timeoutMs / 2)).unref();
		try {
			text = await body.text();
		} catch (error) {
			if (signal.aborted) throw error;
			if (error instanceof CameTooSlowly) throw new APIConnectionTimeoutError();
			const failure = noAnswer(error, origin);
			throw failure instanceof ConnectionFailure && !failure.unreachable
				? new ConnectionFailure(
						`${origin} closed the connection in the middle of the answer`,
						failure.code,
						false,
					)
				: failure;
		} finally {
			reading.delete(body);
		}
		if (answer.statusCode < 200 || answer.statusCode >= 300)
			throw APIError.generate(
				answer.statusCode,
				{ error: errorFromBody(text) },
				undefined,
				reader as Headers,
			);
		if (reader.get('content-type')?.includes('text/event-stream'))
			throw new StreamedResponseError(
				`${origin} answered with an event stream (text/event-stream) although the request said "stream": false; it does not honour that`,
			);
		let data: unknown;
		try {
			data = JSON.parse(text);
		} catch (error) {
			throw new MalformedResponseError(
				`unparseable response body: ${(error as Error).message}`,
				reader,
			);
		}
		try {
			return { completion: parseCompletion(request.api, data, reader), headers: reader };
		} catch (error) {
			throw new MalformedResponseError((error as Error).message, reader);
		}
	};
}

/**
 * What a request that got no answer throws: a timeout, or what went wrong with the connection.
 * An error with no system or undici code is a bug of ours, and is thrown as it is.
 */
function noAnswer(error: unknown, origin: string): unknown {
	const code = (error as { code?: unknown })?.code;
	if (typeof code !== 'string') return error;
	if (TIMEOUTS.has(code)) return new APIConnectionTimeoutError();
	if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE')
		return new ResponseTooLargeError(
			`${origin} sent an answer larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MB: refused, as a server that never stops sending would fill memory`,
		);
	return (
		connectionFailure(error, origin) ??
		new ConnectionFailure(
			`connection to ${origin} failed: ${(error as Error).message}`,
			code,
			false,
		)
	);
}

/**
 * The answer's headers as the SDK's errors and our readers take them: `get(name)`. undici
 * gives the names in lower case, as every caller asks for them.
 */
function headerReader(raw: Record<string, string | string[] | undefined>): HeaderReader {
	return {
		get: (name) => {
			const value = raw[name];
			return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
		},
	};
}
