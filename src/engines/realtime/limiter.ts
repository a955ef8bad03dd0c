import type { RateLimitInfo } from '../../http/ratelimit-headers.ts';
import { MAX_WAIT_MS } from './backoff.ts';

const MAX_TIMER_MS = 2_147_483_647;

/** Time, injectable so the limiter can be tested without waiting. */
export interface Clock {
	now(): number;
	setTimeout(callback: () => void, ms: number): unknown;
	clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
	now: () => performance.now(),
	setTimeout: (callback, ms) => setTimeout(callback, ms),
	clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LimiterOptions {
	/** Requests per minute. Default: none, or what the server's headers advertise. */
	readonly rpm?: number | undefined;
	/** Tokens per minute, estimated before sending. Default: none, or what the server advertises. */
	readonly tpm?: number | undefined;
	readonly clock?: Clock;
	/** The longest pause a server's reset may ask for. @default MAX_WAIT_MS */
	readonly maxPauseMs?: number;
	/** Told when a server asked for a longer pause than `maxPauseMs`, with what it asked. */
	readonly onLongPause?: (askedMs: number, header: string) => void;
}

/**
 * How late a timer may fire before the lost time is really lost. It also bounds the burst
 * after an idle spell, so the limits are spread evenly over the minute, never spent at once.
 */
const SLACK_MS = 20;

interface Waiter {
	readonly tokens: number;
	readonly resolve: () => void;
	readonly reject: (reason: unknown) => void;
	readonly signal: AbortSignal | undefined;
	readonly onAbort: () => void;
}

/**
 * Paces requests to requests- and tokens-per-minute limits with the generic cell rate
 * algorithm: each dimension keeps one "theoretical arrival time", so each acquire is O(1) and a
 * per-minute limit becomes an even spacing. Waiters go in FIFO order. A pause (after a 429, or
 * when the server says nothing remains) holds everyone until the given time.
 */
export class Limiter {
	readonly #options: LimiterOptions;
	readonly #clock: Clock;
	readonly #userRpm: boolean;
	readonly #userTpm: boolean;
	#rpm: number | undefined;
	#tpm: number | undefined;
	#requestTat = Number.NEGATIVE_INFINITY;
	#tokenTat = Number.NEGATIVE_INFINITY;
	#pausedUntil = Number.NEGATIVE_INFINITY;
	readonly #waiters: Waiter[] = [];
	#timer: unknown;

	constructor(options: LimiterOptions = {}) {
		this.#options = options;
		this.#clock = options.clock ?? systemClock;
		this.#rpm = options.rpm;
		this.#tpm = options.tpm;
		this.#userRpm = options.rpm !== undefined;
		this.#userTpm = options.tpm !== undefined;
	}

	get rpm(): number | undefined {
		return this.#rpm;
	}

	get tpm(): number | undefined {
		return this.#tpm;
	}

	/** Resolves when a request costing `tokens` may be sent; rejects if `signal` aborts first. */
	acquire(tokens: number, signal?: AbortSignal): Promise<void> {
		if (signal?.aborted) return Promise.reject(signal.reason);
		if (this.#waiters.length === 0 && this.#readyAt() <= this.#clock.now()) {
			this.#consume(tokens);
			return Promise.resolve();
		}
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				tokens,
				resolve,
				reject,
				signal,
				onAbort: () => {
					const at = this.#waiters.indexOf(waiter);
					if (at !== -1) this.#waiters.splice(at, 1);
					reject(signal?.reason);
					this.#pump();
				},
			};
			signal?.addEventListener('abort', waiter.onAbort, { once: true });
			this.#waiters.push(waiter);
			this.#pump();
		});
	}

	/** Corrects a request's estimate once its real usage is known. */
	settle(estimated: number, actual: number): void {
		if (this.#tpm === undefined || actual === estimated) return;
		this.#tokenTat += (actual - estimated) * (60_000 / this.#tpm);
		this.#pump();
	}

	/** Holds all dispatch until `until` (a clock time); never shortens a pause already set. */
	pauseUntil(until: number): void {
		if (until <= this.#pausedUntil) return;
		this.#pausedUntil = until;
		this.#pump();
	}

	get pausedUntil(): number {
		return this.#pausedUntil;
	}

	/**
	 * Adopts limits the server advertises where the user gave none, and pauses until the reset
	 * when the server says nothing remains, so we slow down before it says no.
	 */
	learn(info: RateLimitInfo): void {
		if (!this.#userRpm && info.limitRequests !== undefined) this.#rpm = info.limitRequests;
		if (!this.#userTpm && info.limitTokens !== undefined) this.#tpm = info.limitTokens;
		if (info.remainingRequests === 0 && info.resetRequestsMs !== undefined)
			this.#pauseFor(info.resetRequestsMs, 'x-ratelimit-reset-requests');
		if (info.remainingTokens === 0 && info.resetTokensMs !== undefined)
			this.#pauseFor(info.resetTokensMs, 'x-ratelimit-reset-tokens');
	}

	#pauseFor(askedMs: number, header: string): void {
		const max = this.#options.maxPauseMs ?? MAX_WAIT_MS;
		if (askedMs > max) this.#options.onLongPause?.(askedMs, header);
		this.pauseUntil(this.#clock.now() + Math.min(askedMs, max));
	}

	#readyAt(): number {
		let at = this.#pausedUntil;
		if (this.#rpm !== undefined) at = Math.max(at, this.#requestTat);
		if (this.#tpm !== undefined) at = Math.max(at, this.#tokenTat);
		return at;
	}

	#consume(tokens: number): void {
		const floor = this.#clock.now() - SLACK_MS;
		if (this.#rpm !== undefined)
			this.#requestTat = Math.max(this.#requestTat, floor) + 60_000 / this.#rpm;
		if (this.#tpm !== undefined)
			this.#tokenTat = Math.max(this.#tokenTat, floor) + tokens * (60_000 / this.#tpm);
	}

	#pump(): void {
		if (this.#timer !== undefined) {
			this.#clock.clearTimeout(this.#timer);
			this.#timer = undefined;
		}
		while (this.#waiters.length > 0) {
			const wait = this.#readyAt() - this.#clock.now();
			if (wait > 0) {
				// A timer can't hold more than 2^31 - 1 ms; a longer one would fire at once.
				this.#timer = this.#clock.setTimeout(
					() => {
						this.#timer = undefined;
						this.#pump();
					},
					Math.min(wait, MAX_TIMER_MS),
				);
				return;
			}
			const waiter = this.#waiters.shift() as Waiter;
			waiter.signal?.removeEventListener('abort', waiter.onAbort);
			this.#consume(waiter.tokens);
			waiter.resolve();
		}
	}
}
