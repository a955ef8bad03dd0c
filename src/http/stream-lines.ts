/**
 * The lines of a stream of bytes, as text, without their line ends (`\n` or `\r\n`) and
 * without blank ones. `onTooLong` is thrown when a line passes `maxLineBytes`: readline would
 * gather a line that never ends until memory ran out.
 */
export async function* streamLines(
	chunks: AsyncIterable<Uint8Array>,
	maxLineBytes: number,
	onTooLong: () => Error,
): AsyncGenerator<string> {
	let pieces: Buffer[] = [];
	let pending = 0;
	const line = (last: Buffer) => {
		const whole = pieces.length > 0 ? Buffer.concat([...pieces, last]) : last;
		pieces = [];
		pending = 0;
		return whole.toString('utf8').replace(/\r$/, '');
	};
	for await (const chunk of chunks) {
		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		let start = 0;
		for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
			if (pending + end - start > maxLineBytes) throw onTooLong();
			const text = line(bytes.subarray(start, end));
			if (text.trim() !== '') yield text;
			start = end + 1;
		}
		if (start < bytes.length) {
			pending += bytes.length - start;
			if (pending > maxLineBytes) throw onTooLong();
			pieces.push(Buffer.from(bytes.subarray(start)));
		}
	}
	if (pieces.length > 0) {
		const text = line(Buffer.alloc(0));
		if (text.trim() !== '') yield text;
	}
}
