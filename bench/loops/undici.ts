/**
 * A bare loop over undici's `request`, on a keep-alive pool sized to the concurrency: the
 * least a Node client can do per request. Usage: node bench/loops/undici.ts BASE_URL CONCURRENCY < prompts
 */
import { text } from 'node:stream/consumers';
import { Agent, request } from 'undici';

const [baseURL, concurrency = '64'] = process.argv.slice(2);
const dispatcher = new Agent({ connections: Number(concurrency) });
const prompts = (await text(process.stdin)).split('\n').filter((line) => line !== '');
let next = 0;
const out: string[] = [];

async function worker(): Promise<void> {
	while (next < prompts.length) {
		const index = next++;
		const { body } = await request(`${baseURL}/chat/completions`, {
			method: 'POST',
			dispatcher,
			headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
			body: JSON.stringify({
				model: 'gpt-4o-mini',
				messages: [{ role: 'user', content: prompts[index] }],
			}),
		});
		const answer = (await body.json()) as { choices: { message: { content: string } }[] };
		out.push(JSON.stringify({ index: index + 1, response: answer.choices[0]?.message.content }));
	}
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker));
process.stdout.write(`${out.join('\n')}\n`);
await dispatcher.close();
