import { isUtf8 } from 'node:buffer';
import { InputError } from '../core/errors.ts';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Decodes a byte stream as strict UTF-8, streaming. A UTF-8 byte order mark at the start is
 * dropped; anything that is not UTF-8 (Latin-1 bytes, UTF-16 as Windows PowerShell writes it)
 * is an InputError at its file and line, so that nothing garbled is ever sent.
 */
export async function* decodeUtf8(
	chunks: AsyncIterable<Buffer | Uint8Array>,
	file: string,
): AsyncGenerator<string> {
	let carry: Buffer = Buffer.alloc(0);
	let line = 1;
	let start = true;
	const decode = function* (bytes: Buffer, final: boolean): Generator<string> {
		if (start) {
			// A byte order mark is three bytes: wait for them, however the chunks fall.
			if (bytes.length < 3 && !final) {
				carry = bytes;
				return;
			}
			start = false;
			if (bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
			else if (isUtf16Bom(bytes))
				throw notUtf8(file, 1, 'starts with a UTF-16 byte order mark', 'UTF-16');
		}
		const end = final ? bytes.length : completeEnd(bytes);
		const body = bytes.subarray(0, end);
		carry = Buffer.from(bytes.subarray(end));
		if (!isUtf8(body)) {
			const at = firstInvalid(body);
			const where = line + countNewlines(body, at);
			const what = isTruncated(body, at)
				? 'ends in the middle of a UTF-8 character'
				: `is not valid UTF-8 (byte 0x${(body[at] ?? 0).toString(16).padStart(2, '0')})`;
			throw notUtf8(file, where, what, 'LATIN1');
		}
		line += countNewlines(body, body.length);
		if (body.length > 0) yield body.toString('utf8');
	};
	for await (const chunk of chunks) {
		const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		yield* decode(carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes, false);
	}
	yield* decode(carry, true);
}

function notUtf8(file: string, line: number, what: string, from: string): InputError {
	const name = file === '-' ? 'FILE' : file;
	return new InputError(
		file,
		line,
		`${what}: input must be UTF-8`,
		`convert it first: iconv -f ${from} -t UTF-8 ${name} > ${name}.utf8, naming the encoding it is in; iconv -l lists them`,
	);
}

function isUtf16Bom(bytes: Buffer): boolean {
	return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

/** Where the last complete character ends: a character cut by the chunk's end waits for the next. */
function completeEnd(bytes: Buffer): number {
	for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
		const byte = bytes[i] as number;
		if ((byte & 0xc0) === 0x80) continue;
		return i + sequenceLength(byte) > bytes.length ? i : bytes.length;
	}
	return bytes.length;
}

function sequenceLength(lead: number): number {
	if (lead < 0x80) return 1;
	if ((lead & 0xe0) === 0xc0) return 2;
	if ((lead & 0xf0) === 0xe0) return 3;
	if ((lead & 0xf8) === 0xf0) return 4;
	return 1;
}

/** A lead byte whose sequence the end of the input cuts short. */
function isTruncated(bytes: Buffer, at: number): boolean {
	const length = sequenceLength(bytes[at] as number);
	return (
		length > 1 &&
		at + length > bytes.length &&
		bytes.subarray(at + 1).every((byte) => (byte & 0xc0) === 0x80)
	);
}

/** The offset of the first byte that starts no valid UTF-8 sequence (only on the error path). */
export function firstInvalid(bytes: Uint8Array): number {
	let i = 0;
	while (i < bytes.length) {
		const lead = bytes[i] as number;
		const length = sequenceLength(lead);
		if (length === 1) {
			if (lead >= 0x80) return i;
			i++;
			continue;
		}
		if (i + length > bytes.length) return i;
		const second = bytes[i + 1] as number;
		// Overlong forms, surrogates and code points past U+10FFFF are invalid as well.
		const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
		const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
		if (lead === 0xc0 || lead === 0xc1 || lead > 0xf4 || second < low || second > high) return i;
		for (let k = 2; k < length; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
		i += length;
	}
	return -1;
}

function countNewlines(bytes: Buffer, end: number): number {
	let count = 0;
	for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) count++;
	return count;
}
