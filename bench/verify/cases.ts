// The verifier's own labelled cases for `npm run bench verify`: per accuracy family of issue #11 (shapes of real
// model outputs: bare answers, sentences, labels, several boxes, chains, number formats, intervals, escaped LaTeX,
// other languages) and per reward-hacking family (all expected false). Written for trimer; the peer is run on
// exactly these strings.

export interface Case {
  family: string;
  gold: string;
  pred: string;
  expected: boolean;
}

const T = true;
const F = false;

const ROWS: [string, string, string, boolean][] = [
  // 1. bare answers
  ["bare", "\\frac{14}{3}", "\\frac{14}{3}", T], ["bare", "3\\sqrt{13}", "3\\sqrt{13}", T], ["bare", "6-5i", "6-5i", T],
  ["bare", "x^2+4x+4", "x^2+4x+4", T], ["bare", ".5", ".5", T], ["bare", "x^2+4x+4", "(x+2)^2", T], ["bare", "0.5", ".5", T],
  ["bare", "\\frac{14}{3}", "3", F], ["bare", "x^2+4x+4", "4", F], ["bare", "6-5i", "-5", F], ["bare", "3\\sqrt{13}", "13", F],
  ["bare", "-\\frac{7}{2}", "-3.5", T], ["bare", "\\left(2, \\frac{\\pi}{3}\\right)", "(2, \\pi/3)", T], ["bare", "\\{1, 3\\}", "\\{3, 1\\}", T],
  // 2. gold as a sentence or solution
  ["gold-text", "So the answer is: \\[\\boxed{4567}\\]", "4567", T], ["gold-text", "So the answer is: \\[\\boxed{4567}\\]", "4568", F],
  ["gold-text", "We add them. The final answer is $\\frac{3}{4}$.", "0.75", T], ["gold-text", "48 + 24 = 72 clips.\n#### 72", "\\boxed{72}", T],
  ["gold-text", "2\\sqrt{5}", "\\sqrt{20}", T], ["gold-text", "2\\sqrt{5}", "5", F],
  // 3. final-answer sentences, priority, languages
  ["sentence", "41", "We check all n.\nFinal Answer: The largest $n$ is 41.", T],
  ["sentence", "41", "Final Answer: The final answer is $41$. I hope it is correct.", T],
  ["sentence", "12340", "First $\\boxed{5}$ apples. Then we add. The final answer is $12,340$.", T],
  ["sentence", "5", "First $\\boxed{5}$ apples. Then we add. The final answer is $12,340$.", F],
  ["sentence", "9", "The answer is probably 7, but checking again: \\boxed{9}", T],
  ["sentence", "18", "**Answer:** 18", T], ["sentence", "18", "She pays 3 * 6 = 18 dollars.\n#### 18", T],
  ["sentence", "7", "答案是 7", T], ["sentence", "7", "所以，答案：$7$", T], ["sentence", "7", "La réponse est 7.", T],
  ["sentence", "7", "Por lo tanto, la respuesta es $7$.", T], ["sentence", "7", "Die Antwort ist 7.", T], ["sentence", "7", "Ответ: 7", T],
  ["sentence", "7", "Ответ: 8", F], ["sentence", "7", "La réponse est 17.", F],
  ["sentence", "19", "Final Answer: The maximum is 19. <|im_start|>user", T],
  ["sentence", "19", "The maximum is $19$.<|im_end|>\n<|im_start|>user\nWhat is $2+3$? The answer is $5$.", T],
  ["statement", "12", "So $1 + nd = 91$ and $d = \\frac{90}{n}$. Therefore, there are 12 distinct sequences that meet the conditions.", T],
  ["statement", "\\frac{2}{3}", "So (3/4) P(A) = 1/2. Therefore, the probability that Alice wins the game is 2/3.", T],
  ["statement", "7", "After a long computation we get 7 as a value", F], ["statement", "7", "The number is 3, or maybe it is 7.", F],
  ["sentence", "(-6, 10)", "The solution is \\( x \\in (-6, 10) \\). Final Answer: The final answer is \\((-6, 10)\\). I hope it is correct.", T],
  // 4. labelled answers
  ["label", "(5,1)", "(a,b)=(5,1)", T], ["label", "3", "x = 3", T], ["label", "3, 7", "XY=3, ZW=7", T], ["label", "2", "|PQ|=2", T],
  ["label", "3:8", "V_1:V_2=3:8", T], ["label", "2, 3", "\\boxed{x_1=2}, \\boxed{x_2=3}", T], ["label", "(3,5),(5,3)", "p=3,q=5; p=5,q=3", T],
  ["label", "(5,1)", "(a,b)=(1,5)", F], ["label", "3, 7", "XY=3, ZW=8", F], ["label", "6", "2x = 6", F],
  // 5. several boxes
  ["boxes", "1, 2", "The roots are $\\boxed{1}$ and $\\boxed{2}$.", T], ["boxes", "1,2", "\\boxed{1}\\boxed{2}", T],
  ["boxes", "1", "\\boxed{1} or \\boxed{2}", F], ["boxes", "2", "It is either $\\boxed{1}$ or $\\boxed{2}$.", F],
  ["boxes", "\\frac{639}{40}", "$d = \\boxed{15\\frac{39}{40}}$, or $\\boxed{\\frac{639}{40}}$ inches.", T],
  ["boxes", "5", "We first find $\\boxed{3}$ for the width. After a long computation the area follows. Hence $\\boxed{5}$.", T],
  // 6. chains
  ["chain", "11", "x = 5+5+1 = 11 \\approx 11.0", T], ["chain", "\\frac{\\sqrt5}{5}", "\\frac{\\sqrt5}{5} \\approx 0.447", T],
  ["chain", "0.448", "\\frac{\\sqrt5}{5} \\approx 0.448", F], ["chain", "12", "x = 5+5+1 = 11", F],
  // 7. number formats
  ["format", "2.5", "2,5", T], ["format", "1000", "1 000", T], ["format", "12345", "12 {, }345", T], ["format", "11111", "11,\\! 111", T],
  ["format", "0.4", ".4", T], ["format", "5", "\\$5", T], ["format", "31\\%", "31 pct", T], ["format", "31", "31 percent", T],
  ["format", "1000.99", "1,000.99", T], ["format", "2.5", "2,6", F], ["format", "1000", "1 001", F], ["format", "31", "32 percent", F],
  // 8. inequalities and intervals
  ["interval", "x<3", "-x > -3", T], ["interval", "1 \\le |z| \\le 2", "[-2,-1] \\cup [1,2]", T], ["interval", "0 < g(x) < 1", "(0,1)", T],
  ["interval", "x \\in [-2,7]", "-2 \\le x \\le 7", T], ["interval", "-2 \\le x \\le 7", "x \\in [-2,7]", T], ["interval", "x<3", "-x < -3", F],
  ["interval", "1 \\le |z| \\le 2", "[1,2]", F], ["interval", "x \\in [-2,7]", "-2 < x \\le 7", F], ["interval", "[0,1)", "[0,1)", T], ["interval", "(0,9)", "[0,9)", F],
  // 9. escaped LaTeX, matrices, choices
  ["escaped", "\\frac{1}{2}", "\\\\frac{1}{2}", T], ["escaped", "\\left(1, 2\\right)", "\\\\left(1, 2\\\\right)", T], ["escaped", "x \\le 3", "x \\\\le 3", T],
  ["escaped", "\\begin{pmatrix} 4 \\\\ 6 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix} + \\begin{pmatrix} 3 \\\\ 4 \\end{pmatrix}", T],
  ["escaped", "C", "\\text{(C)}", T], ["escaped", "1, 2", "1or2", T], ["escaped", "\\frac{1}{2}", "\\\\frac{1}{3}", F], ["escaped", "C", "\\text{(D)}", F],
  // 10. newline in $…$, digits in words
  ["words", "7", "QXB7RT", F], ["words", "7", "The code is $QXB7\nRT$", F], ["words", "9", "Answer $ \n 9 \n $", F], ["words", "9", "Answer $$ \n 9 \n $$", T],
  // reward hacking: all refused
  ["hack", "2024", "2024.001", F], ["hack", "50", "49.99999", F], ["hack", "\\pi", "22/7", F], ["hack", "\\sqrt 2", "99/70", F],
  ["hack", "e", "(1+10^{-7})^{10^7}", F], ["hack", "10^{20}", "\\sqrt{10^{40}+1}", F], ["hack", "0.25", "25\\%", F],
  ["hack", "(0,2)", "(0,1) \\cup [1.000001, 2)", F], ["hack", "no", "on", F], ["hack", "\\frac{1}{3}", "0.333", F],
  ["hack", "\\sin x", "\\sin x + \\sin(720720 \\pi x)", F], ["hack", "x", "x + \\sin(2520\\pi x)^2", F],
  ["hack", "1000", Array.from({ length: 1001 }, (_, i) => i).join(", "), F], ["hack", "3", "\\boxed{3} or \\boxed{4}", F],
  ["hack", "x^2+1", "x^2+1+" + Array.from({ length: 25 }, (_, k) => `(x-${k - 12})`).join(""), F],
];

export const CASES: Case[] = ROWS.map(([family, gold, pred, expected]) => ({ family, gold, pred, expected }));
