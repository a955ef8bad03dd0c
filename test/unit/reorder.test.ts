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
	for (const i of [1, 2, 3, 4, 5]) reorder.admit(i).then(() => admitted.push(i));
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
