import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FatalRunError, PromptbatchError, UsageError } from '../../core/errors.ts';
import type { ApiRequest, PromptRecord, ResultRecord, ResultSource } from '../../core/types.ts';
import { BATCH_ENDS, type BatchApi, type BatchInfo } from '../../http/batch-api.ts';
import { cachedRecord, resultRecord, resumedRecord } from '../../output/record.ts';
import { type BatchNote, pendingBatches } from '../../state/journal.ts';
import type { Ledger } from '../../state/ledger.ts';
import {
	type BatchItem,
	batchLine,
	indexOfCustomId,
	type ShardLimits,
	shardItems,
} from './lines.ts';
import { type LineOutcome, notRun, readResultLine } from './reconcile.ts';

export interface BatchOptions {
	readonly limits: ShardLimits;
	/** Resubmissions of a line that failed in passing (429, 5xx, expired, not run). */
	readonly retries: number;
	/** Between polls; undefined: a few seconds at first, backing off to a minute. */
	readonly pollMs?: number | undefined;
	/** Wait for every batch to end; false (`--no-wait`): submit, collect what is done, return. */
	readonly wait: boolean;
}

/** How a batch run ended: as a realtime one, or `pending` when batches still run (`--no-wait`). */
export type BatchEnd =
	| { readonly kind: 'complete' | 'interrupted' | 'pending' }
	| { readonly kind: 'aborted' | 'invalid'; readonly error: PromptbatchError };

export interface BatchDeps {
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly api: BatchApi;
	/** Receives every result once, in input order, as soon as all before it are known. */
	readonly emit: (result: ResultRecord) => void | Promise<void>;
	readonly ledger: Ledger;
	/** What the journal says of batches so far (`--resume`), and where new notes go. */
	readonly previous: readonly BatchNote[];
	readonly note: (note: BatchNote) => void;
	readonly events: { settled(result: ResultRecord, source: ResultSource): void };
	/** A directory for the input files to upload. */
	readonly workDir: string;
	/** A line of progress for stderr. */
	readonly log: (line: string) => void;
	readonly redact: (text: string) => string;
}

interface Active {
	readonly id: string;
	readonly indexes: readonly number[];
	status: string;
}

/**
 * Sends every record through the Batch API: shards uploaded and created once each (their ids
 * journaled at once), polled, their output and error files reconciled line by line by
 * `custom_id`, lines that failed in passing resubmitted, and every prompt's record handed on in
 * input order. Batches the journal names and that were not collected are reattached, never
 * submitted again.
 */
export async function dispatchBatches(
	records: AsyncIterable<PromptRecord>,
	options: BatchOptions,
	deps: BatchDeps,
	interrupt: AbortSignal | undefined,
): Promise<BatchEnd> {
	const earlier = runTag(deps.previous);
	const run = earlier ?? randomBytes(4).toString('hex');
	let runNoted = earlier !== undefined;
	const prompts = new Map<number, { record: PromptRecord; request: ApiRequest }>();
	const attempts = new Map<number, number>();
	const results = new Map<number, ResultRecord>();
	let next = 1;
	let emitting: Promise<void> = Promise.resolve();
	const settle = (index: number, result: ResultRecord, source: ResultSource) => {
		const prompt = prompts.get(index) as { request: ApiRequest };
		deps.ledger.record(prompt.request, result, source);
		deps.events.settled(result, source);
		results.set(index, result);
		emitting = emitting.then(async () => {
			for (let r = results.get(next); r !== undefined; r = results.get(next)) {
				results.delete(next++);
				await deps.emit(r);
			}
		});
	};

	const active: Active[] = pendingBatches(deps.previous).map((batch) => ({
		...batch,
		status: 'reattached',
	}));
	const waiting = new Set(active.flatMap((batch) => batch.indexes));
	let todo: BatchItem[] = [];
	try {
		for await (const record of records) {
			const request = deps.build(record);
			prompts.set(record.index, { record, request });
			const known = deps.ledger.lookup(record, request);
			if (known?.source === 'journal')
				settle(record.index, resumedRecord(record, request.input, known.result), 'journal');
			else if (known?.source === 'cache')
				settle(record.index, cachedRecord(record, request.input, known.answer), 'cache');
			else if (!waiting.has(record.index)) todo.push({ index: record.index, request });
		}
		if (active.length > 0) deps.log(`reattached to ${active.length} batch(es) of an earlier run`);

		let polls = 0;
		for (;;) {
			if (todo.length > 0) {
				if (!runNoted) deps.note({ run });
				runNoted = true;
				active.push(...(await submit(run, todo, options.limits, deps, attempts)));
				todo = [];
			}
			if (active.length === 0) break;
			for (const batch of [...active]) {
				const info = await deps.api.retrieve(batch.id);
				if (info.status !== batch.status) {
					batch.status = info.status;
					deps.log(
						`batch ${info.id}: ${info.status} ${info.counts.completed + info.counts.failed}/${info.counts.total}`,
					);
				}
				if (!BATCH_ENDS.has(info.status)) continue;
				active.splice(active.indexOf(batch), 1);
				const retry = await collect(run, batch, info, deps, prompts, options, attempts, settle);
				todo.push(
					...retry.map((index) => ({ index, request: prompts.get(index)?.request as ApiRequest })),
				);
				deps.note({ collected: batch.id });
			}
			if (todo.length > 0) continue;
			if (active.length === 0) break;
			if (!options.wait) {
				await emitting;
				return { kind: 'pending' };
			}
			const delay = options.pollMs ?? Math.min(60_000, 2000 * 1.5 ** polls++);
			const slept = await sleep(delay, true, { signal: interrupt }).catch(() => false);
			if (!slept) {
				deps.log(
					`detached: ${active.length} batch(es) keep running on the server; run the same command with --resume to collect them`,
				);
				await emitting;
				return { kind: 'interrupted' };
			}
		}
	} catch (thrown) {
		await emitting.catch(() => {});
		const error = thrown instanceof PromptbatchError ? thrown : apiFailure(thrown, deps.redact);
		if (error === undefined) throw thrown;
		return { kind: error instanceof FatalRunError ? 'aborted' : 'invalid', error };
	}
	await emitting;
	return { kind: 'complete' };
}

function runTag(previous: readonly BatchNote[]): string | undefined {
	for (const note of previous) if ('run' in note) return note.run;
	return undefined;
}

async function submit(
	run: string,
	items: readonly BatchItem[],
	limits: ShardLimits,
	deps: BatchDeps,
	attempts: Map<number, number>,
): Promise<Active[]> {
	const created: Active[] = [];
	for (const shard of shardItems(run, items, limits)) {
		const path = join(deps.workDir, `shard-${randomBytes(4).toString('hex')}.jsonl`);
		writeFileSync(path, `${shard.items.map((item) => batchLine(run, item)).join('\n')}\n`);
		const fileId = await deps.api.upload(path);
		const info = await deps.api.create(fileId, shard.endpoint, {
			promptbatch_run: run,
			promptbatch_lines: String(shard.items.length),
		});
		const indexes = shard.items.map((item) => item.index);
		deps.note({ id: info.id, indexes });
		for (const index of indexes) attempts.set(index, (attempts.get(index) ?? 0) + 1);
		deps.log(
			`batch ${info.id} created: ${indexes.length} prompts to ${shard.endpoint} (${shard.model})`,
		);
		created.push({ id: info.id, indexes, status: info.status });
	}
	return created;
}

/**
 * Reads an ended batch's files and settles each of its prompts, or returns it for another
 * submission (a line that failed in passing, with submissions left). Throws FatalRunError for
 * a batch that failed validation.
 */
async function collect(
	run: string,
	batch: Active,
	info: BatchInfo,
	deps: BatchDeps,
	prompts: ReadonlyMap<number, { record: PromptRecord; request: ApiRequest }>,
	options: BatchOptions,
	attempts: Map<number, number>,
	settle: (index: number, result: ResultRecord, source: ResultSource) => void,
): Promise<number[]> {
	if (info.status === 'failed') throw validationFailure(info, batch, prompts);
	const outcomes = new Map<number, LineOutcome>();
	for (const fileId of [info.outputFileId, info.errorFileId]) {
		if (fileId === undefined) continue;
		for await (const text of deps.api.lines(fileId)) {
			const line = readResultLine(
				text,
				(id) => prompts.get(indexOfCustomId(run, id) ?? 0)?.request.api,
			);
			const index = line && indexOfCustomId(run, line.customId);
			if (line && index !== undefined && batch.indexes.includes(index))
				outcomes.set(index, line.outcome);
		}
	}
	const retry: number[] = [];
	for (const index of batch.indexes) {
		const prompt = prompts.get(index);
		if (!prompt) continue;
		const outcome = outcomes.get(index) ?? notRun(info.status);
		const tries = attempts.get(index) ?? 1;
		if (outcome.retry && tries <= options.retries) {
			retry.push(index);
			continue;
		}
		const result = resultRecord(
			prompt.record,
			prompt.request.input,
			outcome.completion
				? { completion: outcome.completion, error: null, attempts: tries, latencyMs: 0 }
				: { completion: null, error: outcome.error, attempts: tries, latencyMs: 0 },
			batch.id,
		);
		settle(index, result, 'sent');
	}
	return retry;
}

function validationFailure(
	info: BatchInfo,
	batch: Active,
	prompts: ReadonlyMap<number, { record: PromptRecord }>,
): FatalRunError {
	const first = info.errors[0];
	const record = first?.line ? prompts.get(batch.indexes[first.line - 1] ?? 0)?.record : undefined;
	const where = record ? ` (${record.file}:${record.line})` : '';
	return new FatalRunError(
		`batch ${info.id} failed validation: ${first?.code ? `[${first.code}] ` : ''}${first?.message ?? 'no reason given'}${where}`,
		'fix what the message names; the failed batch cost nothing',
	);
}

/**
 * A failed call to the Batch API as the user must hear it. Nothing is retried blindly: a
 * creation has no idempotency key, so the next run reattaches or asks, rather than pay twice.
 */
function apiFailure(
	error: unknown,
	redact: (text: string) => string,
): PromptbatchError | undefined {
	const { status, message, name } = error as {
		status?: unknown;
		message?: unknown;
		name?: unknown;
	};
	// Anything else is a bug of ours, and must show as one.
	if (typeof status !== 'number' && !String(name).startsWith('APIConnection')) return undefined;
	const text = redact(String(message ?? error));
	if (status === 404)
		return new UsageError(`the server has no Batch API: ${text}`, 'run without --batch');
	if (status === 401 || status === 403)
		return new FatalRunError(`the Batch API refused the key: ${text}`, 'check OPENAI_API_KEY');
	return new FatalRunError(
		`the Batch API call failed: ${text}`,
		'rerun the same command with --resume: batches already created are collected, not sent again',
	);
}
