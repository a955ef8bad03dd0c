/**
 * What every bare loop shares, and nothing more: the prompts from stdin, a fixed number of
 * workers each awaiting `ask` in turn, one JSON line a result on stdout at the end.
 */
import { text } from 'node:stream/consumers';

export async function runWorkers(
	concurrency: number,
	ask: (prompt: string) => Promise<string | undefined>,
): Promise<void> {
	const prompts = (await text(process.stdin)).split('\n').filter((line) => line !== '');
	let next = 0;
	const out: string[] = [];
	const worker = async () => {
		while (next < prompts.length) {
			const index = next++;
			const response = await ask(prompts[index] as string);
			out.push(JSON.stringify({ index: index + 1, response }));
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	process.stdout.write(`${out.join('\n')}\n`);
}
