/**
 * The step summary as a reader sees the text: the action escapes every text it did not write itself as
 * numeric character references (`&#46;`), which GitHub renders as the characters. Tests that look for words in
 * the summary compare against this.
 */
export function renderedText(summary: string): string {
  return summary.replace(/&#(\d{1,7});/g, (_, code: string) => String.fromCodePoint(Number(code)));
}
