/**
 * A bare loop over the official SDK: a fixed number of workers, each awaiting
 * `chat.completions.create`, one JSON line a result; nothing promptbatch adds.
 * Usage: node bench/loops/sdk.ts BASE_URL CONCURRENCY < prompts
 */
import { text } from 'node:stream/consumers';
import OpenAI from 'openai';

const [baseURL, concurrency = '64'] = process.argv.slice(2);
const client = new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 });
const prompts = (await text(process.stdin)).split('\n').filter((line) => line !== '');
let next = 0;
const out: string[] = [];

async function worker(): Promise<void> {
	while (next < prompts.length) {
		const index = next++;
		const completion = await client.chat.completions.create({
			model: 'gpt-4o-mini',
			messages: [{ role: 'user', content: prompts[index] as string }],
		});
		out.push(
			JSON.stringify({ index: index + 1, response: completion.choices[0]?.message.content }),
		);
	}
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker));
process.stdout.write(`${out.join('\n')}\n`);
