import type { PromptbatchError } from '../../core/errors.ts';

/** Why dispatch ended. `complete` means every record read got its result. */
export type DispatchEnd =
	| { readonly kind: 'complete' }
	| { readonly kind: 'interrupted' }
	/** A failure that dooms every request, or an output that can't be written. */
	| { readonly kind: 'aborted'; readonly error: PromptbatchError }
	/** A bad record in input that is checked as it streams (stdin). */
	| { readonly kind: 'invalid'; readonly error: PromptbatchError }
	/** `--halt`. */
	| { readonly kind: 'halted'; readonly error: PromptbatchError };

export interface StopSignals {
	/** Stop sending; requests in flight get the grace period. */
	readonly interrupt?: AbortSignal | undefined;
	/** Stop sending and cancel requests in flight now. */
	readonly abort?: AbortSignal | undefined;
}

/**
 * The one stop state of a dispatch. Any stop (interrupt, fatal failure, bad input, `--halt`)
 * aborts `stopSending`: no new request goes out. Stops that must not wait also abort
 * `cancelInFlight`, which cuts requests in flight short. The first stop names the end.
 */
export class Stop {
	readonly #sending = new AbortController();
	readonly #inFlight = new AbortController();
	readonly #signals: StopSignals;
	readonly #graceMs: number;
	#end: DispatchEnd = { kind: 'complete' };
	#grace: NodeJS.Timeout | undefined;

	constructor(graceMs: number, signals: StopSignals = {}) {
		this.#graceMs = graceMs;
		this.#signals = signals;
		for (const [signal, listener] of this.#listeners()) {
			if (signal?.aborted) listener();
			else signal?.addEventListener('abort', listener, { once: true });
		}
	}

	/** Aborted at the first stop: send nothing more. */
	get stopSending(): AbortSignal {
		return this.#sending.signal;
	}

	/** Aborted when requests in flight are to be cut short. */
	get cancelInFlight(): AbortSignal {
		return this.#inFlight.signal;
	}

	get end(): DispatchEnd {
		return this.#end;
	}

	stop(end: DispatchEnd, cancelInFlight: boolean): void {
		if (this.#end.kind === 'complete') this.#end = end;
		this.#sending.abort();
		if (cancelInFlight) this.#inFlight.abort();
	}

	/** What the record of a prompt cut short in flight says. */
	reason(): string {
		const end = this.#end;
		return end.kind === 'complete' || end.kind === 'interrupted'
			? 'in flight when the run was interrupted'
			: `in flight when the run stopped: ${end.error.message}`;
	}

	/** Stops listening and drops the grace timer; call once dispatch is over. */
	dispose(): void {
		clearTimeout(this.#grace);
		for (const [signal, listener] of this.#listeners())
			signal?.removeEventListener('abort', listener);
	}

	readonly #onInterrupt = () => {
		this.stop({ kind: 'interrupted' }, false);
		this.#grace ??= setTimeout(() => this.#inFlight.abort(), this.#graceMs);
	};

	readonly #onAbort = () => this.stop({ kind: 'interrupted' }, true);

	#listeners() {
		return [
			[this.#signals.interrupt, this.#onInterrupt],
			[this.#signals.abort, this.#onAbort],
		] as const;
	}
}
