// Geometry with numbers: rectangle and L-shape areas and perimeters, triangle and trapezoid areas, Pythagorean
// triples (scaled primitive triples, so every length is an integer), box volume and surface area.
import type { Rng } from "../../util/rng.js";
import { decimal, q, tex } from "./rational.js";
import type { GenOptions, Worked } from "./worked.js";

const TRIPLES: readonly [number, number, number][] = [[3, 4, 5], [5, 12, 13], [8, 15, 17], [7, 24, 25], [20, 21, 29], [9, 40, 41]];

function rectangle(rng: Rng, d: number): Worked {
  const w = rng.int(2, 5 + 5 * d), h = rng.int(2, 5 + 5 * d);
  const perim = rng.next() < 0.5;
  const v = perim ? 2 * (w + h) : w * h;
  const distract = d >= 4 ? ` A diagonal line is painted across it.` : "";
  return {
    domain: "geometry", kind: perim ? "rectangle-perimeter" : "rectangle-area", difficulty: d,
    question: `A rectangle is ${w} cm long and ${h} cm wide.${distract} What is its ${perim ? "perimeter in cm" : "area in square cm"}?`,
    answer: q(v),
    steps: perim
      ? [{ say: "Add length and width", expr: `${w} + ${h}`, value: String(w + h) }, { say: "Double it", expr: `2 \\times ${w + h}`, value: String(v) }]
      : [{ say: "Multiply length by width", expr: `${w} \\times ${h}`, value: String(v) }],
    check: perim ? `Going around: ${w} + ${h} + ${w} + ${h} = ${v}.` : `${v} \\div ${w} = ${h}.`,
    code: [perim ? `ans = 2 * (${w} + ${h})` : `ans = ${w} * ${h}`],
  };
}

function lShape(rng: Rng, d: number): Worked {
  const W = rng.int(6, 8 + 4 * d), H = rng.int(6, 8 + 4 * d);
  const cw = rng.int(2, W - 2), ch = rng.int(2, H - 2);
  const v = W * H - cw * ch;
  return {
    domain: "geometry", kind: "l-shape-area", difficulty: d,
    question: `A ${W} m by ${H} m rectangular garden has a ${cw} m by ${ch} m rectangular corner paved over. What is the area of the garden that is not paved, in square metres?`,
    answer: q(v),
    steps: [
      { say: "Area of the whole rectangle", expr: `${W} \\times ${H}`, value: String(W * H) },
      { say: "Area of the paved corner", expr: `${cw} \\times ${ch}`, value: String(cw * ch) },
      { say: "Subtract", expr: `${W * H} - ${cw * ch}`, value: String(v) },
    ],
    check: `Splitting the L into two rectangles: ${W} \\times ${H - ch} + ${W - cw} \\times ${ch} = ${W * (H - ch) + (W - cw) * ch}.`,
    code: [`ans = ${W} * ${H} - ${cw} * ${ch}`],
  };
}

function triangleOrTrapezoid(rng: Rng, d: number): Worked {
  if (rng.next() < 0.5) {
    const b = rng.int(2, 6 + 6 * d), h = rng.int(2, 6 + 6 * d);
    const v = q(b * h, 2);
    const shown = decimal(v)!;
    return {
      domain: "geometry", kind: "triangle-area", difficulty: d,
      question: `A triangle has a base of ${b} cm and a height of ${h} cm. What is its area in square cm?`,
      answer: v, ...(v.d !== 1n ? { boxed: shown } : {}),
      steps: [{ say: "Multiply base by height", expr: `${b} \\times ${h}`, value: String(b * h) }, { say: "Halve it", expr: `${b * h} \\div 2`, value: shown }],
      check: `Two copies of the triangle make a ${b} by ${h} parallelogram of area ${b * h}.`,
      code: ["from fractions import Fraction", `ans = Fraction(${b} * ${h}, 2)`],
    };
  }
  const a = rng.int(2, 5 + 4 * d), b = a + rng.int(1, 4 + 2 * d), h = rng.int(2, 4 + 3 * d);
  const v = q((a + b) * h, 2);
  const shown = decimal(v)!;
  return {
    domain: "geometry", kind: "trapezoid-area", difficulty: d,
    question: `A trapezoid has parallel sides of ${a} and ${b} units and a height of ${h} units. What is its area?`,
    answer: v, ...(v.d !== 1n ? { boxed: shown } : {}),
    steps: [
      { say: "Add the parallel sides", expr: `${a} + ${b}`, value: String(a + b) },
      { say: "Multiply by the height and halve", expr: `${a + b} \\times ${h} \\div 2`, value: shown },
    ],
    check: `Average of the parallel sides ${tex(q(a + b, 2))} times height ${h} is ${shown}.`,
    code: ["from fractions import Fraction", `ans = Fraction((${a} + ${b}) * ${h}, 2)`],
  };
}

function pythagoras(rng: Rng, d: number): Worked {
  const [x, y, z] = rng.pick(TRIPLES.slice(0, Math.min(TRIPLES.length, 1 + d)));
  const k = rng.int(1, 1 + d);
  const a = x * k, b = y * k, c = z * k;
  const askHyp = d <= 2 || rng.next() < 0.5;
  if (askHyp) {
    return {
      domain: "geometry", kind: "hypotenuse", difficulty: d,
      question: `A right triangle has legs of length ${a} and ${b}. How long is the hypotenuse?`,
      answer: q(c),
      steps: [
        { say: "Square and add the legs", expr: `${a}^2 + ${b}^2`, value: String(a * a + b * b) },
        { say: "Take the square root", expr: `\\sqrt{${a * a + b * b}}`, value: String(c) },
      ],
      check: `${c}^2 = ${c * c} = ${a * a} + ${b * b}.`,
      code: ["from math import isqrt", `ans = isqrt(${a} ** 2 + ${b} ** 2)`],
    };
  }
  return {
    domain: "geometry", kind: "leg", difficulty: d,
    question: `A right triangle has hypotenuse ${c} and one leg ${a}. How long is the other leg?`,
    answer: q(b),
    steps: [
      { say: "Subtract the squares", expr: `${c}^2 - ${a}^2`, value: String(c * c - a * a) },
      { say: "Take the square root", expr: `\\sqrt{${c * c - a * a}}`, value: String(b) },
    ],
    check: `${a}^2 + ${b}^2 = ${a * a + b * b} = ${c}^2.`,
    code: ["from math import isqrt", `ans = isqrt(${c} ** 2 - ${a} ** 2)`],
  };
}

function box(rng: Rng, d: number): Worked {
  const l = rng.int(2, 3 + 2 * d), w = rng.int(2, 3 + 2 * d), h = rng.int(2, 3 + 2 * d);
  const surface = d >= 3 && rng.next() < 0.5;
  const v = surface ? 2 * (l * w + w * h + l * h) : l * w * h;
  return {
    domain: "geometry", kind: surface ? "box-surface" : "box-volume", difficulty: d,
    question: `A closed box measures ${l} by ${w} by ${h} inches. What is its ${surface ? "total surface area in square inches" : "volume in cubic inches"}?`,
    answer: q(v),
    steps: surface
      ? [
        { say: "Areas of three different faces", expr: `${l} \\times ${w},\\ ${w} \\times ${h},\\ ${l} \\times ${h}`, value: `${l * w}, ${w * h}, ${l * h}` },
        { say: "Add them and double (each face appears twice)", expr: `2 \\times (${l * w} + ${w * h} + ${l * h})`, value: String(v) },
      ]
      : [{ say: "Multiply the three dimensions", expr: `${l} \\times ${w} \\times ${h}`, value: String(v) }],
    check: surface ? `Six faces: two of ${l * w}, two of ${w * h}, two of ${l * h}, total ${v}.` : `${l * w} square inches of base times height ${h} = ${v}.`,
    code: [surface ? `ans = 2 * (${l} * ${w} + ${w} * ${h} + ${l} * ${h})` : `ans = ${l} * ${w} * ${h}`],
  };
}

export function generateGeometry(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  const k = rng.int(0, 4);
  return k === 0 ? rectangle(rng, difficulty) : k === 1 ? lShape(rng, difficulty) : k === 2 ? triangleOrTrapezoid(rng, difficulty) : k === 3 ? pythagoras(rng, difficulty) : box(rng, difficulty);
}
