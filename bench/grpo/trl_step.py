"""TRL's GRPOTrainer side of `npm run bench grpo` (bench/grpo/main.ts writes the spec and reads the JSON line).

Loads the trimer checkpoint folder with transformers (LlamaForCausalLM), builds a Hugging Face tokenizer over the
same character vocabulary (WordLevel over single characters, trimer's special tokens as added special tokens, no
automatic bos: the prompt text carries "<bos>"), checks that it gives exactly trimer's prompt ids, then runs
`warmup + steps` GRPO steps on the same prompts with the same G, limits, temperature, top-p, beta = 0, clip, learning
rate, fp32 and threads, with the same cheap reward on the completion ids. Prints one JSON object: the seconds of
each step and of the generation inside it, wall clock and process CPU time.
"""
import json, os, sys, tempfile, time

spec = json.load(open(sys.argv[1]))
import torch

torch.set_num_threads(spec["threads"])
torch.manual_seed(spec["seed"])
from datasets import Dataset
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

pieces, special = spec["pieces"], spec["special"]
tk = Tokenizer(models.WordLevel(vocab={p: i for i, p in enumerate(pieces)}, unk_token="<unk>"))
tk.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
tk.decoder = decoders.Fuse()
tk.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in special])
tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
texts = ["<bos>" + p for p in spec["prompts"]]
ids = tok(text=texts)["input_ids"]
if ids != spec["prompt_ids"]:
    bad = next(i for i, (a, b) in enumerate(zip(ids, spec["prompt_ids"])) if a != b)
    raise SystemExit(f"tokenizer mismatch on prompt {bad}: {ids[bad]} vs trimer {spec['prompt_ids'][bad]}")

model = LlamaForCausalLM.from_pretrained(spec["dir"], dtype=torch.float32)
model.generation_config.pad_token_id = tok.pad_token_id
model.generation_config.eos_token_id = tok.eos_token_id
model.generation_config.bos_token_id = tok.bos_token_id
mod = spec["reward_mod"]


def reward(prompts, completions, completion_ids, **kw):
    # The same cheap reward as the trimer side: the share of completion ids divisible by reward_mod.
    return [sum(1 for t in c if t % mod == 0) / max(1, len(c)) for c in completion_ids]


G, P, n = spec["G"], len(texts), spec["warmup"] + spec["steps"]
args = GRPOConfig(
    output_dir=tempfile.mkdtemp(prefix="trl-grpo-"), use_cpu=True, bf16=False, fp16=False, gradient_checkpointing=False,
    per_device_train_batch_size=G * P, num_generations=G, max_completion_length=spec["max_new"], temperature=spec["temperature"],
    top_p=spec["top_p"], top_k=0, beta=0.0, epsilon=spec["clip"], loss_type="grpo", scale_rewards="group", num_iterations=1,
    learning_rate=spec["lr"], lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, max_grad_norm=spec["max_grad_norm"],
    max_steps=n, logging_steps=10**6, save_strategy="no", report_to=[], shuffle_dataset=False, disable_dropout=True,
    dataloader_num_workers=0, seed=spec["seed"], log_completions=False,
)
ds = Dataset.from_dict({"prompt": texts * n})
times, gen, cpu, gen_cpu = [], [], [], []


class Timer(TrainerCallback):
    def on_step_begin(self, a, state, control, **kw):
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def on_step_end(self, a, state, control, **kw):
        times.append(time.perf_counter() - self.t0)
        cpu.append(time.process_time() - self.c0)


trainer = GRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=ds, processing_class=tok, callbacks=[Timer()])
inner = trainer._generate


def timed_generate(*a, **kw):
    t0, c0 = time.perf_counter(), time.process_time()
    out = inner(*a, **kw)
    gen.append(time.perf_counter() - t0)
    gen_cpu.append(time.process_time() - c0)
    return out


trainer._generate = timed_generate
trainer.train()
import resource

w = spec["warmup"]
print(json.dumps({"engine": f"TRL {__import__('trl').__version__} (torch {torch.__version__}, transformers {__import__('transformers').__version__})",
                  "step_s": times[w:], "gen_s": gen[w:], "cpu_s": cpu[w:], "gen_cpu_s": gen_cpu[w:], "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
