import { setImmediate as nextTurn } from 'node:timers/promises';
import { FatalRunError, HaltError, PromptbatchError } from '../../core/errors.ts';
import { plural } from '../../core/text.ts';
import type {
	Answer,
	ApiRequest,
	PromptRecord,
	ResultRecord,
	ResultSource,
} from '../../core/types.ts';
import { cachedRecord, resultRecord, resumedRecord } from '../../output/record.ts';
import { abortable, orAbort } from './abortable.ts';
import { type AttemptContext, attempt } from './attempt.ts';
import { formatWait, MAX_WAIT_MS } from './backoff.ts';
import { shouldHalt } from './halt.ts';
import { Limiter } from './limiter.ts';
import type { DispatchDeps, DispatchOptions } from './options.ts';
import { Reorder } from './reorder.ts';
import { Slots } from './slots.ts';
import { type DispatchEnd, Stop, type StopSignals } from './stop.ts';
import { SystematicWatch } from './systematic.ts';

/**
 * How often a run answering from its journal or cache waits for its output to catch up, and
 * lets the event loop turn: answers already known wait for nothing else.
 */
const PACE_EVERY = 32;

interface Settled {
	readonly result: ResultRecord;
	readonly source: ResultSource;
}

/**
 * Sends every record with at most `concurrency` in flight, paced by the limiter, retrying
 * transient failures, and hands results on in input order. Dispatch stops at an interrupt, a
 * fatal failure, a bad input record or `--halt`. Every prompt that was sent gets its one
 * result; prompts the run stopped before sending get none (a resumed run sends them).
 */
export async function dispatch(
	records: AsyncIterable<PromptRecord>,
	options: DispatchOptions,
	deps: DispatchDeps,
	signals: StopSignals = {},
): Promise<DispatchEnd> {
	const { ledger, events } = deps;
	const stop = new Stop(options.graceMs, signals);
	const warned = new Set<string>();
	const warnOnce = (key: string, line: string) => {
		if (warned.has(key)) return;
		warned.add(key);
		deps.warn(line);
	};
	const limiter = new Limiter({
		rpm: options.rpm,
		tpm: options.tpm,
		onLongPause: (askedMs, header) =>
			warnOnce(
				header,
				`the server asked to pause for ${formatWait(askedMs)} (${header}); pausing ${formatWait(MAX_WAIT_MS)} at most, then asking again`,
			),
	});
	events.pacing?.(limiter);
	const ctx: AttemptContext = {
		transport: deps.transport,
		limiter,
		retries: options.retries,
		unavailableMs: options.unavailableMs,
		backoff: options.backoff,
		stop,
		events,
		systematic: new SystematicWatch(),
		baseURL: deps.baseURL,
		onFatal: (error) => stop.stop({ kind: 'aborted', error }, true),
		verbose: deps.verbose,
		warnOnce,
		redact: deps.redact,
	};
	const slots = new Slots(options.concurrency, stop.stopSending);
	// A prompt the run stopped before sending leaves a hole: no record, and resume sends it.
	const reorder = new Reorder<ResultRecord | undefined>(options.window, (result) =>
		result ? deps.emit(result) : undefined,
	);
	/** Records handed to `track` whose result is not yet settled and released. */
	let outstanding = 0;
	let drained: (() => void) | undefined;
	let finished = 0;
	let failed = 0;
	let emitFailure: unknown;

	const settle = (record: PromptRecord, request: ApiRequest, settled: Settled | undefined) => {
		if (settled) {
			const { result, source } = settled;
			ledger?.record(request, result, source);
			events.settled(result, source);
			// What an earlier run recorded is no sign of what goes wrong now.
			if (source !== 'journal' && result.error?.type !== 'aborted') {
				finished++;
				if (result.error) failed++;
				if (shouldHalt(options.halt, failed, finished)) {
					const error = new HaltError(
						`halted after ${plural(failed, 'failed prompt')} (--halt ${options.halt?.text})`,
						'see the failed records for why',
					);
					stop.stop({ kind: 'halted', error }, options.halt?.when === 'now');
				}
			}
		}
		return reorder.put(record.index, settled?.result);
	};
	const untrack = () => {
		if (--outstanding === 0) drained?.();
	};
	const track = (promise: Promise<void>) => {
		outstanding++;
		promise.then(untrack, (error: unknown) => {
			if (error instanceof PromptbatchError) stop.stop({ kind: 'aborted', error }, true);
			else {
				emitFailure ??= error;
				stop.stop({ kind: 'interrupted' }, true);
			}
			untrack();
		});
	};
	const send = async (record: PromptRecord, request: ApiRequest): Promise<Settled | undefined> => {
		const outcome = await attempt(record.index, request, ctx);
		const result = outcome && resultRecord(record, request.input, outcome, null, deps.price);
		return result && { result, source: 'sent' };
	};
	const reuse = (record: PromptRecord, request: ApiRequest, answer: Answer): Settled => ({
		result: cachedRecord(record, request.input, answer),
		source: 'cache',
	});
	const follow = async (
		twin: Promise<Answer | undefined>,
		record: PromptRecord,
		request: ApiRequest,
	) => {
		const answer = await twin;
		return answer ? reuse(record, request, answer) : send(record, request);
	};

	try {
		for await (const record of abortable(records, stop.stopSending)) {
			const admitted = reorder.admit(record.index);
			if (admitted) await orAbort(admitted, stop.stopSending);
			if (stop.stopSending.aborted) break;
			const request = deps.build(record);
			const known = ledger?.lookup(record, request);
			if (known?.source === 'journal' || known?.source === 'cache') {
				const settled =
					known.source === 'journal'
						? { result: resumedRecord(record, request.input, known.result), source: known.source }
						: reuse(record, request, known.answer);
				const written = settle(record, request, settled);
				track(written);
				// Every PACE_EVERY records, with nothing earlier pending, wait to be written before
				// the next is read: a resumed or cached run then holds a few records, not a window
				// of them, which lived long enough to fill the old generation (400 MB resuming
				// 300k prompts, 290 MB then). And let the event loop turn: input read ahead comes
				// without one, so that a signal, the progress line and the CLI's cap on V8's new
				// space (events all) waited seconds, and the new space grew to 128 MB.
				if (record.index % PACE_EVERY === 0) {
					if (reorder.next === record.index)
						await orAbort(
							written.catch(() => {}),
							stop.stopSending,
						);
					await nextTurn();
				}
				continue;
			}
			const reserved = await deps.budget?.reserve(request);
			if (reserved instanceof HaltError) {
				stop.stop({ kind: 'halted', error: reserved }, false);
				break;
			}
			// Waiting for the budget may outlast a stop: nothing new goes out after one.
			if (stop.stopSending.aborted) {
				if (reserved !== undefined) deps.budget?.release(reserved);
				break;
			}
			const slot = slots.take();
			if (slot) await slot;
			if (stop.stopSending.aborted) {
				if (reserved !== undefined) deps.budget?.release(reserved);
				break;
			}
			const task = known ? follow(known.answer, record, request) : send(record, request);
			if (reserved !== undefined)
				task.then(
					(settled) => deps.budget?.settle(reserved, settled?.result),
					() => deps.budget?.settle(reserved, undefined),
				);
			if (!known) ledger?.sending(request);
			// The slot comes back once the result is settled, so that a --halt it triggers stops
			// dispatch before the next request goes out.
			track(
				task.then(
					(settled) => {
						try {
							if (!known) ledger?.sent(request, settled?.result);
							return settle(record, request, settled);
						} finally {
							slots.give();
						}
					},
					(error: unknown) => {
						if (!known) ledger?.sent(request, undefined);
						slots.give();
						throw error;
					},
				),
			);
		}
	} catch (error) {
		if (!(error instanceof PromptbatchError)) throw error;
		const fatal = error instanceof FatalRunError;
		stop.stop({ kind: fatal ? 'aborted' : 'invalid', error }, fatal);
	}
	if (outstanding > 0)
		await new Promise<void>((resolve) => {
			drained = resolve;
		});
	stop.dispose();
	await reorder.flushed().catch(() => {});
	if (emitFailure !== undefined) throw emitFailure;
	return stop.end;
}
