import { createReadStream } from 'node:fs';
import type { Connection } from '../core/config.ts';
import { FatalRunError } from '../core/errors.ts';
import { type ClientSetup, createClient } from './client.ts';
import { MAX_ANSWER_BYTES } from './response.ts';
import { streamLines } from './stream-lines.ts';

/** What a batch says about itself, in the shape we use. */
export interface BatchInfo {
	readonly id: string;
	/** validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled. */
	readonly status: string;
	/** Undefined when there is none: the service says null, or even "". */
	readonly outputFileId: string | undefined;
	readonly errorFileId: string | undefined;
	readonly counts: { readonly total: number; readonly completed: number; readonly failed: number };
	/** Why validation failed (status `failed`). */
	readonly errors: readonly {
		readonly code: string | null;
		readonly message: string;
		readonly line: number | null;
	}[];
	readonly metadata: Readonly<Record<string, string>>;
}

/** The statuses after which a batch changes no more. */
export const BATCH_ENDS = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** The Batch API's calls, each sent once: creating a batch twice would bill it twice. */
export interface BatchApi {
	/** Uploads a JSONL file as a stream (`purpose=batch`); resolves with its file id. */
	upload(path: string): Promise<string>;
	create(fileId: string, endpoint: string, metadata: Record<string, string>): Promise<BatchInfo>;
	retrieve(id: string): Promise<BatchInfo>;
	cancel(id: string): Promise<BatchInfo>;
	/** The lines of an output or error file, streamed. */
	lines(fileId: string): AsyncIterable<string>;
	/** Every batch of the account, newest first, page after page. */
	list(): AsyncIterable<BatchInfo>;
}

/**
 * The Batch API over the official SDK. Uploads take the SDK's streaming multipart path: its
 * buffered path refuses a custom fetch such as undici's ("does not support file uploads").
 */
export function createBatchApi(connection: Connection, options: ClientSetup): BatchApi {
	const client = createClient(connection, options);
	return {
		async upload(path) {
			const file = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
			return file.id;
		},
		async create(fileId, endpoint, metadata) {
			const batch = await client.batches.create({
				input_file_id: fileId,
				endpoint: endpoint as '/v1/chat/completions',
				completion_window: '24h',
				metadata,
			});
			return batchInfo(batch);
		},
		async retrieve(id) {
			return batchInfo(await client.batches.retrieve(id));
		},
		async cancel(id) {
			return batchInfo(await client.batches.cancel(id));
		},
		async *list() {
			for await (const batch of client.batches.list({ limit: 100 })) yield batchInfo(batch);
		},
		async *lines(fileId) {
			const response = await client.files.content(fileId);
			if (!response.body) return;
			yield* streamLines(
				response.body as unknown as AsyncIterable<Uint8Array>,
				MAX_ANSWER_BYTES,
				() =>
					new FatalRunError(
						`the batch file ${fileId} has a line larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MB, more than any answer: refused, as a server that never stops sending would fill memory`,
						'rerun the same command with --resume to collect it again; its batch is not sent again',
					),
			);
		},
	};
}

function batchInfo(batch: {
	id: string;
	status: string;
	output_file_id?: string | null;
	error_file_id?: string | null;
	request_counts?: { total: number; completed: number; failed: number } | null;
	errors?: {
		data?: { code?: string | null; message?: string | null; line?: number | null }[];
	} | null;
	metadata?: Record<string, string> | null;
}): BatchInfo {
	return {
		id: batch.id,
		status: batch.status,
		outputFileId: batch.output_file_id || undefined,
		errorFileId: batch.error_file_id || undefined,
		counts: batch.request_counts ?? { total: 0, completed: 0, failed: 0 },
		errors: (batch.errors?.data ?? []).map((e) => ({
			code: e.code ?? null,
			message: e.message ?? 'no message',
			line: e.line ?? null,
		})),
		metadata: batch.metadata ?? {},
	};
}
