import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, Limiter } from '../../src/engines/realtime/limiter.ts';

/** A clock that only moves when told, running due timers in order. */
class FakeClock implements Clock {
	time = 0;
	#timers = new Map<number, { at: number; callback: () => void }>();
	#next = 1;
	now = () => this.time;
	setTimeout = (callback: () => void, ms: number) => {
		const id = this.#next++;
		this.#timers.set(id, { at: this.time + ms, callback });
		return id;
	};
	clearTimeout = (handle: unknown) => {
		this.#timers.delete(handle as number);
	};
	/** Moves time forward to `until`, firing timers as they fall due. */
	async advance(until: number): Promise<void> {
		await new Promise((resolve) => setImmediate(resolve));
		for (;;) {
			const due = [...this.#timers.entries()]
				.filter(([, t]) => t.at <= until)
				.sort((a, b) => a[1].at - b[1].at)[0];
			if (!due) break;
			this.#timers.delete(due[0]);
			this.time = due[1].at;
			due[1].callback();
			await new Promise((resolve) => setImmediate(resolve));
		}
		this.time = until;
		await new Promise((resolve) => setImmediate(resolve));
	}
}

/** Acquires `count` slots of `tokens` each and records when each was granted. */
function grants(
	limiter: Limiter,
	clock: FakeClock,
	count: number,
	tokens = 1,
	signal?: AbortSignal,
): number[] {
	const times: number[] = [];
	for (let i = 0; i < count; i++) {
		limiter.acquire(tokens, signal).then(
			() => times.push(clock.time),
			() => times.push(-1),
		);
	}
	return times;
}

test('no limits: every acquire is granted at once', async () => {
	const clock = new FakeClock();
	const limiter = new Limiter({ clock });
	const times = grants(limiter, clock, 100);
	await clock.advance(0);
	assert.equal(times.length, 100);
	assert.ok(times.every((t) => t === 0));
});

test('rpm spreads requests evenly: 600 rpm is one every 100 ms, not 600 at once', async () => {
	const clock = new FakeClock();
	clock.time = 1000;
	const limiter = new Limiter({ rpm: 600, clock });
	const times = grants(limiter, clock, 6);
	await clock.advance(2000);
	// The first goes at once; the slack lets the second follow 20 ms early, then exact 100 ms steps.
	assert.deepEqual(times, [1000, 1080, 1180, 1280, 1380, 1480]);
});

test('tpm paces by estimated tokens: a big request holds back the next one in proportion', async () => {
	const clock = new FakeClock();
	clock.time = 1000;
	const limiter = new Limiter({ tpm: 60_000, clock }); // 1 token per ms
	const times: number[] = [];
	for (const tokens of [500, 100, 100]) limiter.acquire(tokens).then(() => times.push(clock.time));
	await clock.advance(5000);
	assert.deepEqual(times, [1000, 1480, 1580]);
});

test('settling a smaller real usage gives the difference back', async () => {
	const clock = new FakeClock();
	clock.time = 1000;
	const limiter = new Limiter({ tpm: 60_000, clock });
	await limiter.acquire(1000);
	limiter.settle(1000, 100);
	const times = grants(limiter, clock, 1, 10);
	await clock.advance(5000);
	assert.deepEqual(times, [1080]);
});

test('a pause holds everyone until it ends, and a shorter pause does not shorten it', async () => {
	const clock = new FakeClock();
	const limiter = new Limiter({ clock });
	limiter.pauseUntil(500);
	limiter.pauseUntil(200);
	const times = grants(limiter, clock, 3);
	await clock.advance(499);
	assert.deepEqual(times, []);
	await clock.advance(500);
	assert.deepEqual(times, [500, 500, 500]);
});

test('learning: advertised limits are adopted only where the user gave none; remaining 0 pauses until reset', async () => {
	const clock = new FakeClock();
	const learner = new Limiter({ clock });
	learner.learn({ limitRequests: 600, limitTokens: 90_000 });
	assert.equal(learner.rpm, 600);
	assert.equal(learner.tpm, 90_000);
	const user = new Limiter({ rpm: 10, clock });
	user.learn({ limitRequests: 600 });
	assert.equal(user.rpm, 10);

	clock.time = 100;
	learner.learn({ remainingRequests: 0, resetRequestsMs: 750 });
	assert.equal(learner.pausedUntil, 850);
	learner.learn({ remainingTokens: 0, resetTokensMs: 2000 });
	assert.equal(learner.pausedUntil, 2100);
	learner.learn({ remainingRequests: 5, resetRequestsMs: 9000 });
	assert.equal(learner.pausedUntil, 2100, 'remaining > 0 does not pause');
});

test('waiters are served first come, first served, and an aborted waiter leaves the line', async () => {
	const clock = new FakeClock();
	clock.time = 1000;
	const limiter = new Limiter({ rpm: 60, clock }); // one a second
	const order: string[] = [];
	const controller = new AbortController();
	limiter.acquire(1).then(() => order.push('a'));
	limiter.acquire(1, controller.signal).then(
		() => order.push('b'),
		() => order.push('b aborted'),
	);
	limiter.acquire(1).then(() => order.push('c'));
	await clock.advance(1000);
	controller.abort();
	await clock.advance(3000);
	assert.deepEqual(order, ['a', 'b aborted', 'c']);
});
