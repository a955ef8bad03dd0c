import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import { FatalRunError, PromptbatchError } from '../../core/errors.ts';
import type {
	ApiRequest,
	ErrorInfo,
	PromptRecord,
	ResultRecord,
	ResultSource,
} from '../../core/types.ts';
import { BATCH_ENDS, type BatchInfo } from '../../http/batch-api.ts';
import { resultRecord } from '../../output/record.ts';
import {
	journalDeadline,
	pendingBatches,
	runTag,
	submissions,
	unsureBatches,
} from '../../state/journal.ts';
import { apiFailure } from './api-failure.ts';
import { readOutcomes, validationFailure } from './collect.ts';
import { inOrder } from './in-order.ts';
import { takeRecords } from './intake.ts';
import type { BatchItem } from './lines.ts';
import type { BatchDeps, BatchEnd, BatchOptions, LatePrompt } from './options.ts';
import { CreationPace } from './pace.ts';
import { describeBatches } from './status.ts';
import { type Active, findUnrecorded, submitShards, TURN_EVERY, tokenLimit } from './submit.ts';

/** Status calls in flight at once: enough for many batches, few enough for any rate limit. */
const POLLS_AT_ONCE = 8;

const CANCELLED: ErrorInfo = {
	status: null,
	type: 'cancelled',
	code: null,
	message: 'the run was cancelled (--cancel) before this prompt ran',
};

/**
 * Sends every record through the Batch API: shards uploaded and created once each, polled,
 * their files reconciled line by line by `custom_id`, lines that failed in passing submitted
 * again, and every prompt's record handed on in input order. Batches the journal names are
 * reattached, never submitted again; a batch refused for the enqueued-token limit waits for
 * one of the run's own to end.
 */
export async function dispatchBatches(
	records: AsyncIterable<PromptRecord>,
	options: BatchOptions,
	deps: BatchDeps,
	interrupt: AbortSignal | undefined,
): Promise<BatchEnd> {
	const earlier = runTag(deps.previous);
	const run = earlier ?? randomBytes(4).toString('hex');
	const kept = journalDeadline(deps.previous);
	const deadline = deps.finish ? (kept ?? options.deadline) : undefined;
	const overdue = () => deadline !== undefined && Date.now() >= deadline;
	/** Prompts the deadline left to `finish`; set once the deadline has passed. */
	let late: number[] | undefined;
	let limits = options.limits;
	const prompts = new Map<number, { record: PromptRecord; request: ApiRequest }>();
	const attempts = submissions(deps.previous);
	const emitter = inOrder(deps.emit);
	const settle = (index: number, result: ResultRecord, source: ResultSource) => {
		deps.ledger.record((prompts.get(index) as { request: ApiRequest }).request, result, source);
		deps.events.settled(result, source);
		emitter.put(index, result);
	};
	const final = (index: number, error: ErrorInfo, batchId: string | null) => {
		const { record, request } = prompts.get(index) as { record: PromptRecord; request: ApiRequest };
		const outcome = { completion: null, error, attempts: attempts.get(index) ?? 0, latencyMs: 0 };
		settle(index, resultRecord(record, request.input, outcome, batchId), 'sent');
	};
	const item = (index: number): BatchItem => ({
		index,
		request: (prompts.get(index) as { request: ApiRequest }).request,
	});

	const active: Active[] = pendingBatches(deps.previous).map((b) => ({
		...b,
		status: 'reattached',
	}));
	const statuses = new Map<string, BatchInfo>();
	const pace = new CreationPace();
	const startedAt = performance.now();
	let todo: number[] = [];
	try {
		for (const intent of unsureBatches(deps.previous)) {
			const found = await findUnrecorded(run, intent, { ...deps, pace });
			if (found) active.push(found);
		}
		const waiting = new Set(active.flatMap((batch) => batch.indexes));
		for (const batch of active)
			for (const index of batch.indexes) attempts.set(index, attempts.get(index) ?? 1);
		const intake = await takeRecords(records, deps, prompts, waiting, settle);
		const { journaled } = intake;
		todo = intake.todo;
		if (active.length > 0) deps.log(`reattached to ${active.length} batch(es) of an earlier run`);
		if (options.cancel) {
			for (const index of todo) final(index, CANCELLED, null);
			todo = [];
			for (const batch of active) {
				await deps.api.cancel(batch.id);
				deps.log(`cancelling batch ${batch.id}; what it finished is kept`);
			}
		}
		if (earlier === undefined && todo.length > 0) deps.note({ run });
		if (kept === undefined && deadline !== undefined) deps.note({ deadline });

		let polls = 0;
		const statusCalls = new PQueue({ concurrency: POLLS_AT_ONCE });
		/** A creation was refused for the enqueued-token limit: wait for one of ours to end. */
		let queueFull = false;
		/** A shard would cross --max-cost: wait for one of ours to settle what it cost. */
		let capped = false;
		for (;;) {
			if (late === undefined && overdue()) {
				late = todo;
				todo = [];
				if (active.length > 0)
					deps.log(
						`the --batch-deadline passed: cancelling ${active.length} batch(es); what they finished is kept, the rest goes through flex processing`,
					);
				// One that ended meanwhile can't be cancelled: it is collected as it is.
				for (const batch of active) await deps.api.cancel(batch.id).catch(() => {});
			}
			if (todo.length > 0 && !((queueFull || capped) && active.length > 0)) {
				const submitted = await submitShards(run, todo.map(item), limits, { ...deps, pace });
				for (const batch of submitted.created)
					for (const index of batch.indexes) attempts.set(index, (attempts.get(index) ?? 0) + 1);
				active.push(...submitted.created);
				todo = [...submitted.refused, ...submitted.unaffordable].map((r) => r.index);
				queueFull = submitted.refused.length > 0;
				capped = submitted.unaffordable.length > 0;
				// Nothing running will give any of the cap back: the rest waits for --resume.
				if (capped && active.length === 0 && deps.budget) {
					for (const index of todo) emitter.put(index, undefined);
					await emitter.flushed();
					return { kind: 'halted', error: deps.budget.reached(submitted.nextWorst ?? 0) };
				}
				if (capped)
					deps.log(
						`${todo.length} prompt(s) wait: their batch would cross --max-cost until the running ones settle what they cost`,
					);
			}
			if (active.length === 0 && todo.length === 0) break;
			// Every batch's status at once, a few calls at a time: a run of hundreds of batches
			// polled one by one would take minutes a round. Ended ones are then collected in turn.
			const polled = await Promise.all(
				active.map((batch) => statusCalls.add(() => deps.api.retrieve(batch.id))),
			);
			for (const [at, batch] of [...active].entries()) {
				const info = polled[at] as BatchInfo;
				batch.status = info.status;
				statuses.set(info.id, info);
				deps.status(describeBatches(statuses, performance.now() - startedAt));

				if (!BATCH_ENDS.has(info.status)) continue;
				active.splice(active.indexOf(batch), 1);
				queueFull = false;
				capped = false;
				/** What its answers cost, to settle its `--max-cost` reservation. */
				let spent = 0;
				const full = info.status === 'failed' ? tokenLimit(info) : undefined;
				if (full) {
					// Nothing of it ran, and nothing was billed: it goes again once the queue has room.
					if (full.limit !== undefined)
						limits = {
							...limits,
							tokens: Math.min(limits.tokens ?? full.limit, Math.floor(full.limit * 0.9)),
						};
					deps.log(
						`batch ${info.id} waits: the enqueued-token limit was reached${full.limit === undefined ? '' : ` (${full.limit} tokens)`}`,
					);
					for (const index of batch.indexes) attempts.set(index, (attempts.get(index) ?? 1) - 1);
					todo.push(...batch.indexes);
					queueFull = true;
				} else if (info.status === 'failed') {
					throw validationFailure(info, batch, prompts);
				} else {
					const outcomes = [...(await readOutcomes(run, batch, info, deps.api, prompts))];
					const take = ([index, outcome]: (typeof outcomes)[number]) => {
						if (journaled.has(index)) return;
						const { record, request } = prompts.get(index) as {
							record: PromptRecord;
							request: ApiRequest;
						};
						const tries = attempts.get(index) ?? 1;
						// Past the deadline, what a batch did not answer goes through flex, not another batch.
						if (
							late &&
							!outcome.completion &&
							(outcome.retry || outcome.error.type === 'cancelled')
						) {
							late.push(index);
							return;
						}
						if (outcome.retry && tries <= options.retries && !options.cancel) {
							todo.push(index);
							return;
						}
						const result = resultRecord(
							record,
							request.input,
							outcome.completion
								? { completion: outcome.completion, error: null, attempts: tries, latencyMs: 0 }
								: { completion: null, error: outcome.error, attempts: tries, latencyMs: 0 },
							batch.id,
							deps.price,
						);
						if (result.error === null) spent += result.cost_usd ?? 0;
						settle(index, result, 'sent');
					};
					// A batch's answers are journaled a few hundred to a write: should a kill lose them,
					// the batch, not yet noted collected, is collected again.
					for (let at = 0; at < outcomes.length; at += TURN_EVERY) {
						if (at > 0) await nextTurn();
						deps.ledger.together(() => outcomes.slice(at, at + TURN_EVERY).forEach(take));
					}
				}
				if (batch.reserved !== undefined) deps.budget?.settleShard(batch.reserved, spent);
				deps.note(full ? { collected: batch.id, refused: true } : { collected: batch.id });
			}
			if (todo.length === 0 && active.length === 0) break;
			if (todo.length > 0 && !queueFull && !capped) continue;
			// Cancelling takes a moment, and what it leaves must still be answered: wait for it.
			if (!options.wait && late === undefined) {
				await emitter.flushed();
				return { kind: 'pending' };
			}
			const poll = options.pollMs ?? Math.min(60_000, 2000 * 1.5 ** polls++);
			const delay =
				deadline === undefined || late ? poll : Math.max(0, Math.min(poll, deadline - Date.now()));
			const slept = await sleep(delay, true, { signal: interrupt }).catch(() => false);
			if (!slept) {
				deps.log(
					`detached: ${active.length} batch(es) keep running on the server; the same command with --resume collects them`,
				);
				await emitter.flushed();
				return { kind: 'interrupted' };
			}
		}
		if (late && late.length > 0 && deps.finish) {
			deps.log(`${late.length} prompt(s) left by the deadline go through flex processing`);
			const end = await deps.finish(
				late.map((index) => prompts.get(index) as LatePrompt),
				(index, result) => settle(index, result, 'sent'),
			);
			if (end.kind !== 'complete') {
				await emitter.flushed();
				return end;
			}
		}
	} catch (thrown) {
		await emitter.flushed().catch(() => {});
		const error = thrown instanceof PromptbatchError ? thrown : apiFailure(thrown, deps.redact);
		if (error === undefined) throw thrown;
		return { kind: error instanceof FatalRunError ? 'aborted' : 'invalid', error };
	}
	await emitter.flushed();
	return { kind: 'complete' };
}
