/**
 * MQTT topic filters: `+` matches one level, `#` (last) any number of levels, including none.
 * Topics starting with `$` are never matched by a filter starting with a wildcard (MQTT 4.7.2).
 */

/** True when `topic` matches `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Throws a `TypeError` for a malformed filter (a `#` not last, a wildcard inside a level). */
export function checkFilter(filter: string): void {
  if (filter === '') throw new TypeError('an MQTT topic filter cannot be empty');
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new TypeError(`MQTT topic filter ${filter}: # must be a whole level, and the last`);
    }
    if (level.includes('+') && level !== '+') {
      throw new TypeError(`MQTT topic filter ${filter}: + must be a whole level`);
    }
  });
}
