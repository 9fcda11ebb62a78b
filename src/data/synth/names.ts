// Names, objects and irrelevant clauses for templated problems. GSM-Symbolic perturbs exactly these (who, what,
// which numbers) and GSM-NoOp adds a clause that looks relevant but is not; both come from this pool.
import type { Rng } from "../../util/rng.js";

export const NAMES = [
  "Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jamal", "Kira", "Liam", "Maya", "Noah",
  "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno",
  "Carmen", "Dev", "Elena", "Felix", "Gita", "Hassan", "Ines", "Jonas", "Keiko", "Leo", "Mina", "Nico",
] as const;

/** Countable objects: singular, plural, container word. */
export const OBJECTS: readonly { one: string; many: string; pack: string }[] = [
  { one: "marble", many: "marbles", pack: "bag" },
  { one: "sticker", many: "stickers", pack: "sheet" },
  { one: "apple", many: "apples", pack: "basket" },
  { one: "pencil", many: "pencils", pack: "box" },
  { one: "card", many: "cards", pack: "pack" },
  { one: "cookie", many: "cookies", pack: "tray" },
  { one: "shell", many: "shells", pack: "jar" },
  { one: "stamp", many: "stamps", pack: "album page" },
  { one: "egg", many: "eggs", pack: "carton" },
  { one: "book", many: "books", pack: "crate" },
  { one: "bead", many: "beads", pack: "string" },
  { one: "coin", many: "coins", pack: "roll" },
];

export const ITEMS_FOR_SALE: readonly { one: string; many: string }[] = [
  { one: "notebook", many: "notebooks" },
  { one: "sandwich", many: "sandwiches" },
  { one: "ticket", many: "tickets" },
  { one: "plant", many: "plants" },
  { one: "T-shirt", many: "T-shirts" },
  { one: "mug", many: "mugs" },
  { one: "toy car", many: "toy cars" },
  { one: "candle", many: "candles" },
];

/** Clauses with numbers that do not affect the answer (GSM-NoOp style distractors). `n` is filled in. */
const NOOPS: readonly ((name: string, n: number) => string)[] = [
  (p, n) => `${p}'s cousin is ${n} years old.`,
  (p, n) => `The shop opened ${n} minutes late that day.`,
  (p, n) => `${p} lives ${n} blocks from school.`,
  (p, n) => `Last year ${p} read ${n} books.`,
  (p, n) => `It was ${n} degrees outside.`,
  (p, n) => `${p}'s neighbour has ${n} goldfish.`,
];

export function pickName(rng: Rng, avoid?: string): string {
  for (;;) {
    const n = rng.pick(NAMES);
    if (n !== avoid) return n;
  }
}

export function noopClause(rng: Rng, name: string): string {
  return rng.pick(NOOPS)(name, rng.int(2, 60));
}
