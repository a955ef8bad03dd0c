import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Budget } from '../../cost/budget.ts';
import type { BatchApi, BatchInfo } from '../../http/batch-api.ts';
import type { BatchNote } from '../../state/journal.ts';
import { type BatchItem, batchLine, type ShardLimits, shardItems } from './lines.ts';
import { CREATIONS_PER_HOUR, type CreationPace } from './pace.ts';

/** A batch of the run that has not been collected yet. */
export interface Active {
	readonly id: string;
	readonly indexes: readonly number[];
	status: string;
	/** What `--max-cost` holds for it until its answers' real cost is known. */
	readonly reserved?: number | undefined;
}

export interface SubmitDeps {
	readonly api: BatchApi;
	/** Keeps creations under the service's hourly limit. */
	readonly pace: CreationPace;
	readonly workDir: string;
	readonly note: (note: BatchNote) => void;
	readonly log: (line: string) => void;
	/** `--max-cost`: each shard reserves its lines' worst case before it is uploaded. */
	readonly budget?: Pick<Budget, 'reservePrefix' | 'settleShard'> | undefined;
}

/** What became of the items given to `submitShards`. */
export interface Submitted {
	readonly created: Active[];
	/** Refused for the enqueued-token limit: to go again once one of the run's batches ends. */
	readonly refused: BatchItem[];
	/** Past what `--max-cost` holds now, and the worst case of the first of them. */
	readonly unaffordable: BatchItem[];
	readonly nextWorst?: number | undefined;
}

/** How many of the account's newest batches to look through for one a crash left unrecorded. */
const LIST_AT_MOST = 1000;

/**
 * How many prompts a batch run takes, lines it writes or answers it handles between turns of
 * the event loop: a pipe's prompts come read ahead and a batch holds up to 50,000, and taken in
 * one go they kept the CLI's cap on V8's new space (which acts after a collection, on a turn)
 * from acting: it grew to 128 MB.
 */
export const TURN_EVERY = 250;

/**
 * Uploads and creates a batch for each shard of `items`: the intent is journaled before the
 * upload and the id the moment the batch exists, so that no crash can make a rerun pay twice.
 * A creation refused for the enqueued-token limit (429) returns its items as `refused`; any
 * other failure throws, and nothing is retried blindly (a creation has no idempotency key).
 * Under `--max-cost`, a shard is cut to the lines the budget holds now, and the rest come back
 * as `unaffordable`.
 */
export async function submitShards(
	run: string,
	items: readonly BatchItem[],
	limits: ShardLimits,
	deps: SubmitDeps,
): Promise<Submitted> {
	const created: Active[] = [];
	const shards = shardItems(run, items, limits);
	for (const [i, whole] of shards.entries()) {
		const held = await deps.budget?.reservePrefix(whole.items.map((item) => item.request));
		const shard = held ? { ...whole, items: whole.items.slice(0, held.count) } : whole;
		const later = shards.slice(i + 1).flatMap((s) => s.items);
		const unaffordable = held ? [...whole.items.slice(held.count), ...later] : [];
		if (shard.items.length === 0)
			return { created, refused: [], unaffordable, nextWorst: held?.next };
		const lines: string[] = [];
		for (const item of shard.items) {
			lines.push(batchLine(run, item));
			if (lines.length % TURN_EVERY === 0) await nextTurn();
		}
		const content = `${lines.join('\n')}\n`;
		const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
		const indexes = shard.items.map((item) => item.index);
		const path = join(deps.workDir, `shard-${randomBytes(4).toString('hex')}.jsonl`);
		writeFileSync(path, content);
		deps.note({ intent: hash, indexes });
		const fileId = await deps.api.upload(path);
		const wait = deps.pace.delay(Date.now());
		if (wait > 0) {
			deps.log(
				`${CREATIONS_PER_HOUR} batches created in the last hour, the service's limit: waiting ${Math.ceil(wait / 60_000)} min`,
			);
			await sleep(wait);
		}
		deps.pace.created(Date.now());
		let info: BatchInfo;
		try {
			info = await deps.api.create(fileId, shard.endpoint, {
				promptbatch_run: run,
				promptbatch_shard: hash,
				promptbatch_lines: String(indexes.length),
			});
		} catch (error) {
			if (held) deps.budget?.settleShard(held.reserved, 0);
			if ((error as { status?: unknown }).status !== 429) throw error;
			deps.log('the Batch API refused a batch for now (429): waiting for one of ours to end');
			return { created, refused: [...whole.items, ...later], unaffordable: [] };
		}
		deps.note({ id: info.id, indexes });
		const prompts = `${indexes.length} prompt${indexes.length === 1 ? '' : 's'}`;
		deps.log(`batch ${info.id} created: ${prompts} to ${shard.endpoint} (${shard.model})`);
		created.push({ id: info.id, indexes, status: info.status, reserved: held?.reserved });
		if (unaffordable.length > 0)
			return { created, refused: [], unaffordable, nextWorst: held?.next };
	}
	return { created, refused: [], unaffordable: [] };
}

/**
 * The batch a crash may have created between journaling its intent and its id: found by the
 * metadata it was created with, and journaled now. Undefined when there is none (the shard
 * is submitted again, which is then its first time).
 */
export async function findUnrecorded(
	run: string,
	intent: { readonly intent: string; readonly indexes: readonly number[] },
	deps: SubmitDeps,
): Promise<Active | undefined> {
	let seen = 0;
	for await (const batch of deps.api.list()) {
		if (
			batch.metadata.promptbatch_run === run &&
			batch.metadata.promptbatch_shard === intent.intent
		) {
			deps.note({ id: batch.id, indexes: intent.indexes });
			deps.log(`found batch ${batch.id}, created before the last run stopped`);
			return { id: batch.id, indexes: intent.indexes, status: batch.status };
		}
		if (++seen >= LIST_AT_MOST) break;
	}
	return undefined;
}

/**
 * Whether a failed batch hit the enqueued-token limit (not the user's failure: the queue was
 * full), and the limit its message names ("Limit: 2,000,000 enqueued tokens") if it does.
 */
export function tokenLimit(info: BatchInfo): { limit: number | undefined } | undefined {
	const error = info.errors.find(
		(e) => e.code === 'token_limit_exceeded' || /enqueued token/i.test(e.message),
	);
	if (!error) return undefined;
	const match = /Limit:\s*([\d,]+)\s*enqueued tokens/i.exec(error.message);
	return { limit: match ? Number((match[1] as string).replaceAll(',', '')) : undefined };
}
