/**
 * Server-sent events as OpenAI-compatible servers stream chat completions: `data: <json>`
 * events separated by a blank line, ending with `data: [DONE]`. Comments (`: ...`) and other
 * fields are skipped; an event's data lines are joined with newlines.
 */

/** Yields the `data` of each event of an SSE body, until the stream ends. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r?\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        newline = buffer.search(/\r?\n/);
      }
      if (done) break;
    }
    if (data.length > 0) yield data.join('\n');
  } finally {
    // Leaving early (a consumer that stops, an abort) must not leave the body half read.
    await reader.cancel().catch(() => {});
  }
}
