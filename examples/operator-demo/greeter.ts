// A module unit: edit it while the demo runs, then `hotswap reload` (or the dashboard's Reload).
// A syntax error here fails the reload with this file's line and a code frame; the last good
// version keeps serving.
export function greet(name: string, greeting: string, punctuation: string): string {
  return `${greeting}, ${name}${punctuation}`;
}
