import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ApiRequest, PromptRecord, ResultRecord, ResultSource } from '../../core/types.ts';
import { cachedRecord, resumedRecord } from '../../output/record.ts';
import type { BatchDeps } from './options.ts';
import { TURN_EVERY } from './submit.ts';

/** What reading the input leaves a batch run to do. */
export interface Intake {
	/** Prompts to send: answered by neither the journal, the cache nor a reattached batch. */
	readonly todo: number[];
	/**
	 * Prompts of a reattached batch that the journal already answered: a run killed between a
	 * batch's answers and the note that it was collected leaves both. Not settled again.
	 */
	readonly journaled: ReadonlySet<number>;
}

/**
 * Reads every record into `prompts`, settling at once what the journal or the cache answers;
 * `waiting` are the prompts reattached batches hold. The event loop turns every TURN_EVERY
 * records: a pipe's come read ahead, and taken in one go they kept the CLI's cap on V8's new
 * space from acting.
 */
export async function takeRecords(
	records: AsyncIterable<PromptRecord>,
	deps: Pick<BatchDeps, 'build' | 'ledger'>,
	prompts: Map<number, { record: PromptRecord; request: ApiRequest }>,
	waiting: ReadonlySet<number>,
	settle: (index: number, result: ResultRecord, source: ResultSource) => void,
): Promise<Intake> {
	const todo: number[] = [];
	const journaled = new Set<number>();
	for await (const record of records) {
		const request = deps.build(record);
		prompts.set(record.index, { record, request });
		const known = deps.ledger.lookup(record, request);
		if (known?.source === 'journal') {
			settle(record.index, resumedRecord(record, request.input, known.result), 'journal');
			if (waiting.has(record.index)) journaled.add(record.index);
		} else if (known?.source === 'cache')
			settle(record.index, cachedRecord(record, request.input, known.answer), 'cache');
		else if (!waiting.has(record.index)) todo.push(record.index);
		if (record.index % TURN_EVERY === 0) await nextTurn();
	}
	return { todo, journaled };
}
