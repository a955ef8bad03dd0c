import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reorder } from '../../src/engines/realtime/reorder.ts';

test('releases in index order whatever order results arrive in', async () => {
	const released: number[] = [];
	const reorder = new Reorder<number>(10, (n) => {
		released.push(n);
	});
	for (const i of [3, 1, 5, 2, 4]) reorder.put(i, i);
	await reorder.flushed();
	assert.deepEqual(released, [1, 2, 3, 4, 5]);
	assert.equal(reorder.held, 0);
	assert.equal(reorder.next, 6);
});

test('holds later results until the earlier one arrives', async () => {
	const released: number[] = [];
	const reorder = new Reorder<number>(10, (n) => {
		released.push(n);
	});
	await reorder.put(2, 2);
	await reorder.put(3, 3);
	assert.deepEqual(released, []);
	assert.equal(reorder.held, 2);
	await reorder.put(1, 1);
	assert.deepEqual(released, [1, 2, 3]);
});

test('admit waits while the window is full and resumes when the head is released', async () => {
	const reorder = new Reorder<number>(3, () => {});
	const admitted: number[] = [];
	for (const i of [1, 2, 3, 4, 5]) {
		const waiting = reorder.admit(i);
		if (waiting) waiting.then(() => admitted.push(i));
		else admitted.push(i);
	}
	await new Promise((resolve) => setImmediate(resolve));
	assert.deepEqual(admitted, [1, 2, 3]);
	await reorder.put(2, 2);
	await reorder.put(3, 3);
	assert.deepEqual(admitted, [1, 2, 3], 'index 1 is still missing: nothing moves');
	await reorder.put(1, 1);
	await new Promise((resolve) => setImmediate(resolve));
	assert.deepEqual(admitted, [1, 2, 3, 4, 5]);
});

test('an async release is awaited before the next, so a slow reader holds everything back', async () => {
	const events: string[] = [];
	const reorder = new Reorder<number>(10, async (n) => {
		events.push(`start ${n}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
		events.push(`end ${n}`);
	});
	reorder.put(1, 1);
	reorder.put(2, 2);
	await reorder.flushed();
	assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2']);
});

test('a window below 1 is a programming error', () => {
	assert.throws(() => new Reorder(0, () => {}), RangeError);
});

test('Slots: a counter of requests in flight, with one waiter woken as a slot is given back', async () => {
	const { Slots } = await import('../../src/engines/realtime/slots.ts');
	const slots = new Slots(2, new AbortController().signal);
	assert.equal(slots.take(), undefined);
	assert.equal(slots.take(), undefined);
	const third = slots.take();
	assert.ok(third instanceof Promise);
	let started = false;
	third.then(() => {
		started = true;
	});
	await new Promise((resolve) => setImmediate(resolve));
	assert.equal(started, false, 'both slots are taken');
	slots.give();
	await new Promise((resolve) => setImmediate(resolve));
	assert.equal(started, true);
	assert.ok(slots.take() instanceof Promise, 'the woken waiter holds the slot it was given');
});

test('Slots: a wait for a slot ends, holding none, once the run stops sending', async () => {
	const { Slots } = await import('../../src/engines/realtime/slots.ts');
	const stop = new AbortController();
	const slots = new Slots(1, stop.signal);
	assert.equal(slots.take(), undefined);
	const waiting = slots.take();
	assert.ok(waiting instanceof Promise);
	stop.abort();
	await waiting;
	assert.equal(slots.take(), undefined, 'after a stop nothing waits');
	slots.give();
	assert.equal(slots.take(), undefined, 'the slot given back is free');
});
