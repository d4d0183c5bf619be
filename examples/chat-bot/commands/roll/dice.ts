/** Dice to roll: `count` dice of `sides` sides. */
export interface Dice {
  count: number;
  sides: number;
}

/** Reads `NdM` (N up to 20, M up to 1000). */
export function parseDice(text: string): Dice | undefined {
  const match = /^(\d{1,2})?d(\d{1,4})$/i.exec(text);
  if (!match) return undefined;
  const count = Number(match[1] ?? 1);
  const sides = Number(match[2]);
  return count >= 1 && count <= 20 && sides >= 2 && sides <= 1000 ? { count, sides } : undefined;
}

/** Rolls them. */
export function roll(dice: Dice): number[] {
  return Array.from({ length: dice.count }, () => 1 + Math.floor(Math.random() * dice.sides));
}
