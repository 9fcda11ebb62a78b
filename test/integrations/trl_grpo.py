"""TRL GRPOTrainer for a few steps on a trimer checkpoint, with trimer's reward (integrations/trimer_trl_reward.py).

Run by test/integrations/trl-grpo.test.ts with the peers venv's python:
    python trl_grpo.py CHECKPOINT_DIR OUT_DIR      (TRIMER_REWARD_URL / TRIMER_REWARD_TOKEN set)
Writes OUT_DIR/result.json: every reward call (completions, gold answers, the rewards returned) and TRL's
log_history, so the test can check what TRL logged against trimer's verdicts on the same completions.

The tokenizer: the checkpoint's standard HF files when it has them (tokenizer_config.json beside an HF
tokenizer.json). A checkpoint with trimer's own character tokenizer only ({"type": "trimer-char"}) gets the
same character vocabulary rebuilt here with the `tokenizers` library (one token per character, ids as trimer
numbers them), and result.json says which was used.
"""

import json
import os
import sys

import torch

torch.set_num_threads(2)

from datasets import Dataset  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

ckpt, out_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations"))
import trimer_trl_reward  # noqa: E402


def load_tokenizer(path):
    with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    if tj.get("type") != "trimer-char" and os.path.exists(os.path.join(path, "tokenizer_config.json")):
        return AutoTokenizer.from_pretrained(path), "hf-files"
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    vocab = {}
    for tok in tj["special"] + tj["chars"]:
        vocab.setdefault(tok, len(vocab))
    t = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    t.decoder = decoders.Fuse()
    t.add_special_tokens(tj["special"])
    tok = PreTrainedTokenizerFast(tokenizer_object=t, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                  unk_token="<unk>")
    return tok, "rebuilt-char"


tokenizer, tokenizer_source = load_tokenizer(ckpt)
tokenizer.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float32)

# Gold answers are single digits; the test trained the checkpoint to answer \boxed{digit}, so the rewards take
# several values (1.0 right, 0.2 boxed but wrong) and the comparison means something.
rows = [{"prompt": "Q%d: what is %d+%d? A:" % (i, i % 5, (i * 3) % 5), "answer": str(i % 5 + (i * 3) % 5)}
        for i in range(16)]
dataset = Dataset.from_list(rows)

calls = []
base = trimer_trl_reward.make_reward_func(name="trimer_reward")


def trimer_reward(completions, **kwargs):
    rewards = base(completions, **kwargs)
    calls.append({"completions": list(completions), "answer": list(kwargs["answer"]), "rewards": rewards})
    return rewards


trimer_reward.__name__ = "trimer_reward"

config = GRPOConfig(
    output_dir=os.path.join(out_dir, "trl"),
    per_device_train_batch_size=16,
    num_generations=4,
    max_completion_length=24,
    max_steps=3,
    logging_steps=1,
    learning_rate=1e-3,
    beta=0.0,
    temperature=1.0,
    use_cpu=True,
    bf16=False,
    report_to="none",
    save_strategy="no",
    seed=0,
    disable_tqdm=True,
)
trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[trimer_reward], args=config,
                      train_dataset=dataset)
trainer.train()

with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"tokenizer": tokenizer_source, "calls": calls, "log_history": trainer.state.log_history}, f)
print(json.dumps({"ok": True, "tokenizer": tokenizer_source, "calls": len(calls)}))
