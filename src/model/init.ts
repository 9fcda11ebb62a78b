// Seeded parameter initialisation, as the PyTorch reference's `init`: every matrix normal(0, 0.02), every norm
// weight 1. Deterministic for a seed (trimer's own generator: the values differ from torch's for the same seed,
// the distribution does not).

import type { ModelConfig } from "./config.js";
import { totalmem } from "node:os";
import { checkFitsInMemory, validateConfig } from "./config.js";
import { zerosLike, type TensorMap } from "./tensors.js";
import { createRng } from "../util/rng.js";

export const INIT_STD = 0.02;

export function initParameters(config: ModelConfig, seed: number): TensorMap {
  validateConfig(config);
  checkFitsInMemory(config, totalmem());
  const rng = createRng(seed);
  const params = zerosLike(config);
  for (const [, t] of params) {
    if (t.shape.length === 1) t.data.fill(1);
    else for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * INIT_STD;
  }
  return params;
}
