// The artifacts folder of `trimer run`: one sub-folder per stage, each finished stage marked by a DONE.json written
// atomically as the stage's very last act. A stage without DONE.json is unfinished: on --resume it restarts from
// its own latest checkpoint (training stages) or from scratch (cheap stages). Nothing finished is ever redone.
//
//   OUT/config.json            the resolved config (a resume checks that it matches)
//   OUT/<stage>/DONE.json      { finishedAt, seconds, result }
//   OUT/<stage>/model/         checkpoint (model.safetensors + config.json + tokenizer.json [+ optimizer state])
//   OUT/<stage>/ckpt/          in-progress checkpoint of a training stage, with progress.json {step}
//   OUT/<stage>/metrics.jsonl  one JSON object per step
//   OUT/<stage>/samples.jsonl  graded samples (evaluation stages)
//   OUT/report.md, OUT/report.json
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../util/atomic.js";
import { InputError } from "../util/errors.js";

export interface StageDone<R = unknown> {
  stage: string;
  finishedAt: string;
  seconds: number;
  result: R;
}

export class Artifacts {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  dir(stage: string, ...sub: string[]): string {
    const p = join(this.root, stage, ...sub);
    mkdirSync(p, { recursive: true });
    return p;
  }

  path(stage: string, file: string): string {
    return join(this.dir(stage), file);
  }

  done<R>(stage: string): StageDone<R> | null {
    const p = join(this.root, stage, "DONE.json");
    if (!existsSync(p)) return null;
    return JSON.parse(readFileSync(p, "utf8")) as StageDone<R>;
  }

  markDone<R>(stage: string, seconds: number, result: R): StageDone<R> {
    const rec: StageDone<R> = { stage, finishedAt: new Date().toISOString(), seconds, result };
    writeFileAtomicSync(join(this.dir(stage), "DONE.json"), JSON.stringify(rec, null, 2) + "\n");
    return rec;
  }

  /**
   * Writes the resolved config, or on resume checks that the folder was made with the same one. `mayChange`, given
   * the folder's config, may allow a different one on resume (it returns null; the new config is then written) or
   * name why not.
   */
  checkConfig(config: unknown, resume: boolean, mayChange?: (old: unknown) => string | null): void {
    const p = join(this.root, "config.json");
    const text = JSON.stringify(config, null, 2) + "\n";
    if (existsSync(p)) {
      const old = readFileSync(p, "utf8");
      if (old !== text) {
        if (resume && mayChange) {
          const why = mayChange(JSON.parse(old));
          if (why === null) {
            writeFileAtomicSync(p, text);
            return;
          }
          throw new InputError(`${p}: this folder was made with a different config (${why}); use another --out, the same preset and flags, or remove that stage's folder to rerun it`);
        }
        if (resume) throw new InputError(`${p}: this folder was made with a different config; use another --out or the same preset and flags`);
        throw new InputError(`${this.root} already holds a run; pass --resume to continue it, or choose another --out`);
      }
      if (!resume) throw new InputError(`${this.root} already holds a run; pass --resume to continue it, or choose another --out`);
      return;
    }
    writeFileAtomicSync(p, text);
  }
}
