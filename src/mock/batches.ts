import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerLine, promptOfLine, tokensOf, validateLines } from './batch-lines.ts';
import { apiError, sendEndless } from './responses.ts';

export interface BatchServiceOptions {
	/** How long each of validating, in_progress and finalizing lasts. Default 100 ms. */
	readonly stageMs?: number;
	/** Orders output lines; the real service returns them in no particular order. */
	readonly random: () => number;
	/** Counts a prompt's submissions, shared with the realtime routes, for `[[fault:500x1]]`. */
	readonly attempt: (prompt: string) => number;
	/**
	 * Input tokens (characters / 4) that unfinished batches may hold at once; a batch past it
	 * fails `token_limit_exceeded` after validation, as OpenAI's do. Default: no limit.
	 */
	readonly enqueuedTokens?: number | undefined;
	/**
	 * How late the answers to an upload, a creation and a download come, the thing done
	 * already: so that a test can kill a run in the middle of each.
	 */
	readonly delays?: {
		readonly upload?: number;
		readonly create?: number;
		readonly content?: number;
	};
}

interface StoredFile {
	readonly id: string;
	readonly content: string;
	readonly bytes: number;
	readonly purpose: string;
	readonly created_at: number;
}

interface Batch {
	readonly id: string;
	readonly endpoint: string;
	readonly input_file_id: string;
	readonly metadata: Record<string, string> | null;
	readonly createdMs: number;
	readonly created_at: number;
	/** Set when the batch reaches an end: the status it ended in and its files. */
	end?: {
		status: string;
		output_file_id: string | null;
		error_file_id: string | null;
		errors: unknown;
		counts: { total: number; completed: number; failed: number };
	};
	cancelledAt?: number;
}

/**
 * `/files` and `/batches` as OpenAI serves them: uploads, a batch that moves through
 * validating, in_progress and finalizing on a timer, output lines in random order, per-line
 * HTTP errors (`[[fault:400]]`, `[[fault:500x1]]` in a prompt), expiry with partial output
 * (`[[batch:expire]]`: every other line done, the rest `batch_expired`), cancellation with
 * partial output, and validation failures (mixed models, a line whose url is not the batch's,
 * `[[batch:invalid]]`).
 */
export class BatchService {
	readonly #options: BatchServiceOptions;
	readonly #files = new Map<string, StoredFile>();
	readonly #batches: Batch[] = [];
	#ids = 0;
	#uploads = 0;
	#downloads = 0;

	constructor(options: BatchServiceOptions) {
		this.#options = options;
	}

	/** Files uploaded, and output or error files asked for. */
	get uploads(): number {
		return this.#uploads;
	}

	get downloads(): number {
		return this.#downloads;
	}

	/** Every batch created, oldest first. */
	get batches(): readonly { id: string; metadata: Record<string, string> | null }[] {
		return this.#batches;
	}

	/** Answers a request under /files or /batches; false for any other path. */
	async handle(
		req: IncomingMessage,
		res: ServerResponse,
		path: string,
		body: Buffer,
	): Promise<boolean> {
		const method = req.method ?? 'GET';
		const [, resource, id, action] = path.split('?')[0]?.split('/') ?? [];
		if (resource === 'files') {
			if (method === 'POST' && id === undefined) {
				const file = await this.#upload(req, body);
				this.#uploads++;
				await pause(this.#options.delays?.upload);
				return send(res, 200, file);
			}
			const file = this.#files.get(id ?? '');
			if (!file)
				return send(
					res,
					404,
					apiError(`No such File object: ${id}`, 'invalid_request_error', null),
				);
			if (action === 'content') {
				this.#downloads++;
				await pause(this.#options.delays?.content);
				if (file.purpose === 'batch_output' && file.content.includes('[[batch:endless]]')) {
					sendEndless(res, 'application/octet-stream', '{"custom_id": "');
					return true;
				}
				res.writeHead(200, { 'content-type': 'application/octet-stream' });
				res.end(file.content);
				return true;
			}
			return send(res, 200, fileObject(file));
		}
		if (resource !== 'batches') return false;
		if (method === 'POST' && id === undefined) {
			const created = this.#create(JSON.parse(body.toString('utf8')));
			await pause(this.#options.delays?.create);
			return send(res, 200, created);
		}
		if (method === 'GET' && id === undefined) return send(res, 200, this.#list(path));
		const batch = this.#batches.find((b) => b.id === id);
		if (!batch)
			return send(res, 404, apiError(`No such Batch object: ${id}`, 'invalid_request_error', null));
		if (method === 'POST' && action === 'cancel') {
			this.#advance(batch);
			if (!batch.end) batch.cancelledAt = Date.now();
		}
		return send(res, 200, this.#view(batch));
	}

	async #upload(req: IncomingMessage, body: Buffer) {
		const form = await new Response(new Uint8Array(body), {
			headers: { 'content-type': req.headers['content-type'] ?? '' },
		}).formData();
		const file = form.get('file') as File;
		const content = await file.text();
		const stored: StoredFile = {
			id: `file-mock${++this.#ids}`,
			content,
			bytes: Buffer.byteLength(content),
			purpose: String(form.get('purpose')),
			created_at: Math.floor(Date.now() / 1000),
		};
		this.#files.set(stored.id, stored);
		return fileObject(stored);
	}

	#create(params: { input_file_id: string; endpoint: string; metadata?: Record<string, string> }) {
		const batch: Batch = {
			id: `batch_mock${++this.#ids}`,
			endpoint: params.endpoint,
			input_file_id: params.input_file_id,
			metadata: params.metadata ?? null,
			createdMs: Date.now(),
			created_at: Math.floor(Date.now() / 1000),
		};
		this.#batches.push(batch);
		return this.#view(batch);
	}

	#list(path: string) {
		const query = new URLSearchParams(path.split('?')[1] ?? '');
		const limit = Number(query.get('limit') ?? 20);
		const newest = [...this.#batches].reverse();
		const after = query.get('after');
		const start = after ? newest.findIndex((b) => b.id === after) + 1 : 0;
		const page = newest.slice(start, start + limit);
		return {
			object: 'list',
			data: page.map((b) => this.#view(b)),
			first_id: page[0]?.id ?? null,
			last_id: page.at(-1)?.id ?? null,
			has_more: start + limit < newest.length,
		};
	}

	/** The batch as the API shows it now; moves it to its end when its time has come. */
	#view(batch: Batch) {
		this.#advance(batch);
		const stage = this.#options.stageMs ?? 100;
		const age = Date.now() - batch.createdMs;
		const status =
			batch.end?.status ??
			(batch.cancelledAt !== undefined
				? 'cancelling'
				: age < stage
					? 'validating'
					: age < 2 * stage
						? 'in_progress'
						: 'finalizing');
		const lines = this.#lines(batch).length;
		return {
			id: batch.id,
			object: 'batch',
			endpoint: batch.endpoint,
			errors: batch.end?.errors ?? null,
			input_file_id: batch.input_file_id,
			completion_window: '24h',
			status,
			output_file_id: batch.end?.output_file_id ?? null,
			error_file_id: batch.end?.error_file_id ?? null,
			created_at: batch.created_at,
			request_counts: batch.end?.counts ?? {
				total: lines,
				completed: 0,
				failed: 0,
			},
			metadata: batch.metadata,
		};
	}

	#lines(batch: Batch): Record<string, unknown>[] {
		const content = this.#files.get(batch.input_file_id)?.content ?? '';
		return content
			.split('\n')
			.filter((line) => line.trim() !== '')
			.map((line) => JSON.parse(line));
	}

	#advance(batch: Batch): void {
		if (batch.end) return;
		const stage = this.#options.stageMs ?? 100;
		const lines = this.#lines(batch);
		const limit = this.#options.enqueuedTokens;
		const queued = this.#batches
			.filter((other) => other !== batch && !other.end && other.createdMs <= batch.createdMs)
			.reduce((sum, other) => sum + tokensOf(this.#lines(other)), 0);
		const invalid = validateLines(
			batch.endpoint,
			lines,
			limit === undefined ? undefined : { queued, limit },
		);
		const age = Date.now() - batch.createdMs;
		if (invalid && age >= stage) {
			batch.end = {
				status: 'failed',
				output_file_id: null,
				error_file_id: null,
				errors: { object: 'list', data: [invalid] },
				counts: { total: 0, completed: 0, failed: 0 },
			};
			return;
		}
		const cancelled = batch.cancelledAt !== undefined && Date.now() - batch.cancelledAt >= stage;
		if (!cancelled && age < 3 * stage) return;
		const expire =
			!cancelled &&
			lines.some((line) => {
				const prompt = promptOfLine(line);
				return (
					prompt.includes('[[batch:expire]]') && this.#options.attempt(`expire ${prompt}`) === 1
				);
			});
		const output: string[] = [];
		const errors: string[] = [];
		let failed = 0;
		lines.forEach((line, i) => {
			const customId = String(line.custom_id);
			// Cancelled: the first half ran, the rest did not and is in neither file.
			if (cancelled && i >= lines.length / 2) return;
			if (expire && i % 2 === 1) {
				failed++;
				errors.push(
					JSON.stringify({
						id: `batch_req_${i}`,
						custom_id: customId,
						response: null,
						error: {
							code: 'batch_expired',
							message: 'This request could not be executed before the completion window expired.',
						},
					}),
				);
				return;
			}
			const prompt = promptOfLine(line);
			const answer = answerLine(
				line,
				this.#options.attempt(prompt),
				`req_${Math.floor(this.#options.random() * 1e9)}`,
			);
			if (answer.status_code >= 400) failed++;
			(answer.status_code >= 400 ? errors : output).push(
				JSON.stringify({
					id: `batch_req_${i}`,
					custom_id: customId,
					response: answer,
					error: null,
				}),
			);
		});
		batch.end = {
			status: cancelled ? 'cancelled' : expire ? 'expired' : 'completed',
			output_file_id: output.length > 0 ? this.#store(this.#shuffle(output)) : null,
			error_file_id: errors.length > 0 ? this.#store(this.#shuffle(errors)) : '',
			errors: null,
			counts: { total: lines.length, completed: output.length, failed },
		};
	}

	#store(lines: string[]): string {
		const content = `${lines.join('\n')}\n`;
		const file: StoredFile = {
			id: `file-mock${++this.#ids}`,
			content,
			bytes: Buffer.byteLength(content),
			purpose: 'batch_output',
			created_at: Math.floor(Date.now() / 1000),
		};
		this.#files.set(file.id, file);
		return file.id;
	}

	#shuffle<T>(items: T[]): T[] {
		for (let i = items.length - 1; i > 0; i--) {
			const j = Math.floor(this.#options.random() * (i + 1));
			[items[i], items[j]] = [items[j] as T, items[i] as T];
		}
		return items;
	}
}

async function pause(ms: number | undefined): Promise<void> {
	if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
}

function fileObject(file: StoredFile) {
	return {
		id: file.id,
		object: 'file',
		bytes: file.bytes,
		created_at: file.created_at,
		filename: 'input.jsonl',
		purpose: file.purpose,
	};
}

function send(res: ServerResponse, status: number, body: unknown): true {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
	return true;
}
