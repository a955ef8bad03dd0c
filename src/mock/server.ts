import {
	createServer,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BatchService } from './batches.ts';
import { type FaultKind, parseDirectives, seededRandom } from './faults.ts';
import {
	apiError,
	chatBody,
	promptOf,
	type RateLimits,
	rateLimitHeaders,
	responsesBody,
	sendEndless,
} from './responses.ts';

export interface MockServerOptions {
	/** Each answer waits a random time in [min, max] ms. Default [0, 0]. */
	readonly latencyMs?: readonly [number, number];
	/** Share of requests hit by a random fault from `faults`. Default 0. */
	readonly faultRate?: number;
	/** Faults drawn at random. Default: 500, 429, drop, garbage. */
	readonly faults?: readonly FaultKind[];
	/** Seed for latency and faults. Default 1. */
	readonly seed?: number;
	/**
	 * Advertised in x-ratelimit-* headers over a sliding window (default a minute, as OpenAI's);
	 * with `enforce`, a request over them gets a 429.
	 */
	readonly rateLimits?: RateLimits;
	/** The `retry-after-ms` sent with 429s and 5xx. Default 20. */
	readonly retryAfterMs?: number;
	/** How long a batch spends in each of validating, in_progress and finalizing. Default 100. */
	readonly batchStageMs?: number;
	/** Input tokens unfinished batches may hold at once (see BatchServiceOptions). */
	readonly enqueuedTokens?: number;
	/** How late the answers to an upload, a batch creation and a download come. */
	readonly batchDelays?: {
		readonly upload?: number;
		readonly create?: number;
		readonly content?: number;
	};
	/** Serve no /files and /batches, as servers without the Batch API. */
	readonly noBatchApi?: boolean;
	/**
	 * How error bodies are written: OpenAI's `{"error": {...}}` (default), FastAPI's
	 * `{"detail": ...}` (transformers serve), older vLLM's top-level `{"object": "error"}`, a
	 * JSON array (Gemini), or plain text.
	 */
	readonly errorShape?: ErrorShape;
	/**
	 * Answer with an event stream: unless the body says `"stream": false`, as transformers serve
	 * does (`unless-told`), or whatever it says (`always`).
	 */
	readonly streams?: 'unless-told' | 'always';
	/**
	 * `local` answers as Ollama, llama.cpp and transformers serve do: it bounds the answer by
	 * `max_tokens` alone (ignoring `max_completion_tokens`), streams unless told not to, writes
	 * errors as `{"detail": ...}`, sends no rate-limit headers and wants no key. Options given
	 * alongside it win. @default 'openai'
	 */
	readonly profile?: 'openai' | 'local';
	/** Reported in every answer's `usage.cost` (USD), as OpenRouter does. */
	readonly usageCost?: number;
	/** Sent with every answer, after everything else: to reproduce a server's odd headers. */
	readonly headers?: Readonly<Record<string, string>>;
	/** When set, any other bearer token gets a 401 (whose message echoes it, as a careless server might). */
	readonly apiKey?: string;
	readonly host?: string;
}

export type ErrorShape = 'openai' | 'detail' | 'vllm' | 'array' | 'text';

export interface ReceivedRequest {
	/** performance.now() at arrival. */
	readonly at: number;
	readonly path: string;
	readonly headers: IncomingHttpHeaders;
	readonly body: Record<string, unknown>;
	/** The prompt as the server sees it: the last user message, or the Responses `input`. */
	readonly prompt: string;
	/** What the server did: 'ok' or a fault kind. */
	readonly outcome: string;
}

export interface MockServer {
	readonly url: string;
	readonly requests: readonly ReceivedRequest[];
	/** Most requests in flight at once, as the server saw them. */
	readonly maxInFlight: number;
	/** Every batch created through `/batches`, oldest first. */
	readonly batches: readonly { id: string; metadata: Record<string, string> | null }[];
	/** Files uploaded to `/files`. */
	readonly files: number;
	/** Output and error files downloaded. */
	readonly downloads: number;
	close(): Promise<void>;
}

/**
 * An OpenAI-compatible server on loopback that answers /chat/completions and /responses (with
 * or without /v1) by echoing the prompt, with scripted or random faults. `--mock` runs it
 * in-process; the tests and benchmarks drive the real CLI against it.
 */
export async function startMockServer(given: MockServerOptions = {}): Promise<MockServer> {
	const options: MockServerOptions =
		given.profile === 'local'
			? { streams: 'unless-told', errorShape: 'detail', ...given, rateLimits: undefined }
			: given;
	const capField = options.profile === 'local' ? 'max_tokens' : 'max_completion_tokens';
	const random = seededRandom(options.seed ?? 1);
	const [minLatency, maxLatency] = options.latencyMs ?? [0, 0];
	const retryAfter = String(options.retryAfterMs ?? 20);
	const attemptsByPrompt = new Map<string, number>();
	const window: { at: number; tokens: number }[] = [];
	const requests: ReceivedRequest[] = [];
	const sockets = new Set<Socket>();
	let inFlight = 0;
	let maxInFlight = 0;
	const batchService = new BatchService({
		stageMs: options.batchStageMs,
		enqueuedTokens: options.enqueuedTokens,
		delays: options.batchDelays,
		random,
		attempt: (prompt) => {
			const attempt = (attemptsByPrompt.get(prompt) ?? 0) + 1;
			attemptsByPrompt.set(prompt, attempt);
			return attempt;
		},
	});

	const shape = options.errorShape ?? 'openai';
	const sendAs = (res: ServerResponse, status: number, body: unknown) => {
		if (status < 400 || shape === 'openai') return send(res, status, body);
		if (shape === 'text') {
			res.writeHead(status, { 'content-type': 'text/plain' });
			return res.end((body as { error: { message: string } }).error.message);
		}
		return send(
			res,
			status,
			reshape(shape, body as { error: { message: string; code: string | null } }),
		);
	};

	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		const at = performance.now();
		const path = (req.url ?? '').replace(/^\/v1(?=\/)/, '');
		const raw = await readBody(req);
		if (!options.noBatchApi && (await batchService.handle(req, res, path, raw))) return;
		const text = raw.toString('utf8');
		if (req.method !== 'POST' || (path !== '/chat/completions' && path !== '/responses')) {
			return send(res, 404, {
				error: {
					message: `no route ${req.method} ${req.url}`,
					type: 'invalid_request_error',
					code: null,
				},
			});
		}
		let body: Record<string, unknown>;
		try {
			body = JSON.parse(text);
		} catch {
			return send(res, 400, {
				error: { message: 'body is not JSON', type: 'invalid_request_error', code: null },
			});
		}
		const prompt = promptOf(body);
		const directives = parseDirectives(prompt);
		const attempt = (attemptsByPrompt.get(prompt) ?? 0) + 1;
		attemptsByPrompt.set(prompt, attempt);
		let fault: FaultKind | undefined;
		if (directives.fault && attempt <= directives.fault.times) fault = directives.fault.kind;
		else if (options.faultRate && random() < options.faultRate) {
			const kinds = options.faults ?? ['500', '429', 'drop', 'garbage'];
			fault = kinds[Math.floor(random() * kinds.length)];
		}
		const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
		if (options.apiKey !== undefined && bearer !== options.apiKey) fault = '401';
		const tokens = Math.ceil(prompt.length / 4);
		const limits = rateLimitHeaders(options.rateLimits, window, at, tokens);
		if (limits.exceeded && !fault) fault = '429';
		requests.push({ at, path, headers: req.headers, body, prompt, outcome: fault ?? 'ok' });

		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		res.on('close', () => inFlight--);
		const latency = directives.delayMs ?? minLatency + random() * (maxLatency - minLatency);
		if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
		for (const [name, value] of Object.entries({ ...limits.headers, ...options.headers }))
			res.setHeader(name, value);

		switch (fault) {
			case undefined: {
				const answer =
					path === '/responses'
						? responsesBody(body, prompt, tokens)
						: chatBody(body, prompt, tokens, outputCap(body[capField] ?? body.max_tokens));
				if (options.usageCost !== undefined)
					Object.assign(answer.usage, { cost: options.usageCost });
				// As OpenAI, the tier that served it; "auto" is served by the default tier.
				if (typeof body.service_tier === 'string')
					Object.assign(answer, {
						service_tier: body.service_tier === 'auto' ? 'default' : body.service_tier,
					});
				// transformers serve streams unless the body says "stream": false.
				if (options.streams === 'always' || (options.streams && body.stream !== false)) {
					res.writeHead(200, { 'content-type': 'text/event-stream' });
					return res.end(`data: ${JSON.stringify(answer)}\n\ndata: [DONE]\n\n`);
				}
				return sendAs(res, 200, answer);
			}
			case '402':
				return sendAs(
					res,
					402,
					apiError('Insufficient Balance', 'invalid_request_error', 'insufficient_balance'),
				);
			case 'drop':
				return req.socket.destroy();
			case 'hang':
				return;
			case 'endless':
				return sendEndless(res, 'application/json', '{"choices": [{"message": {"content": "');
			case 'trickle': {
				// A 200 whose body comes a byte at a time, never whole.
				res.writeHead(200, { 'content-type': 'application/json' });
				res.write('{');
				const drip = setInterval(() => res.write(' '), 20);
				return res.on('close', () => clearInterval(drip));
			}
			case 'garbage':
				res.writeHead(200, { 'content-type': 'application/json' });
				return res.end('{"choices": [{"message": {"content": "tru');
			case 'cut':
				// The status and half the body, then the connection drops.
				res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
				res.write('{"choices": [{"message": {"content": "tru');
				return setTimeout(() => req.socket.destroy(), 20);
			case 'empty':
				return sendAs(res, 200, { ...chatBody(body, prompt, tokens), choices: [] });
			case '429':
				res.setHeader('retry-after-ms', retryAfter);
				return sendAs(
					res,
					429,
					apiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
				);
			case 'unavailable':
				// Flex processing out of capacity: not billed, and worth another try later.
				res.setHeader('retry-after-ms', retryAfter);
				return sendAs(
					res,
					429,
					apiError(
						'Resource Unavailable: flex processing has no capacity now, please retry later.',
						'resource_unavailable',
						null,
					),
				);
			case 'quota':
				return sendAs(
					res,
					429,
					apiError(
						'You exceeded your current quota, please check your plan and billing details.',
						'insufficient_quota',
						'insufficient_quota',
					),
				);
			case '500':
			case '503':
				res.setHeader('retry-after-ms', retryAfter);
				return sendAs(
					res,
					Number(fault),
					apiError('The server had an error while processing your request.', 'server_error', null),
				);
			case '401':
				return sendAs(
					res,
					401,
					apiError(
						`Incorrect API key provided: ${bearer}.`,
						'invalid_request_error',
						'invalid_api_key',
					),
				);
			case '403':
				return sendAs(
					res,
					403,
					apiError(
						'You are not allowed to use this model.',
						'invalid_request_error',
						'model_not_allowed',
					),
				);
			case '404':
				return sendAs(
					res,
					404,
					apiError(
						`The model ${String(body.model)} does not exist.`,
						'invalid_request_error',
						'model_not_found',
					),
				);
			default:
				return sendAs(
					res,
					400,
					apiError('Invalid request (scripted).', 'invalid_request_error', 'invalid_value'),
				);
		}
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) =>
			send(res, 500, apiError(String(error), 'server_error', null)),
		);
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
		requests,
		get maxInFlight() {
			return maxInFlight;
		},
		get batches() {
			return batchService.batches;
		},
		get files() {
			return batchService.uploads;
		},
		get downloads() {
			return batchService.downloads;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

/** A positive integer bound on the answer's tokens, or none. */
function outputCap(value: unknown): number | undefined {
	return Number.isInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
	if (res.headersSent || res.destroyed) return;
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}

/** An OpenAI-shaped error as another kind of server writes it (see MockServerOptions.errorShape). */
function reshape(shape: ErrorShape, error: { error: { message: string; code: string | null } }) {
	const { message } = error.error;
	if (shape === 'detail') return { detail: message };
	if (shape === 'vllm') return { object: 'error', message, type: 'BadRequestError', code: 400 };
	if (shape === 'array')
		return [{ error: { ...error.error, code: 400, status: 'INVALID_ARGUMENT' } }];
	return error;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
