/** A template split once into literal text and `{{name}}` placeholders, so rendering is a join. */
export type Template = readonly (string | { readonly field: string })[];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export function compileTemplate(source: string): Template {
	const parts: (string | { field: string })[] = [];
	let last = 0;
	for (const match of source.matchAll(PLACEHOLDER)) {
		if (match.index > last) parts.push(source.slice(last, match.index));
		parts.push({ field: match[1] as string });
		last = match.index + match[0].length;
	}
	if (last < source.length) parts.push(source.slice(last));
	return parts;
}

/**
 * Fills the placeholders from `lookup`. Returns the first field that `lookup` lacks instead of
 * a string, so the caller can say which record lacks which field.
 */
export function renderTemplate(
	template: Template,
	lookup: (field: string) => unknown,
): { text: string } | { missing: string } {
	let text = '';
	for (const part of template) {
		if (typeof part === 'string') {
			text += part;
			continue;
		}
		const value = lookup(part.field);
		if (value === undefined) return { missing: part.field };
		text += typeof value === 'string' ? value : JSON.stringify(value);
	}
	return { text };
}
