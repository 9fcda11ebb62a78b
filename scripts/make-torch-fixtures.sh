#!/bin/sh
# Regenerates the PyTorch parity fixtures under test/fixtures/torch/ with the reference implementation
# (../shared/reference/torch_llama.py). Tests read the committed files and never need torch; rerun this only when
# the fixtures must change.
#
#   apt-get install -y python3-torch libopenblas0-openmp   (Debian; then this uses /usr/bin/python3)
#   sh scripts/make-torch-fixtures.sh
#
# Two tiny models, each a folder a trimer checkpoint loader reads (config.json, model.safetensors, tokenizer.json)
# plus batch.json (the input) and expected.safetensors (logits, loss and grad.<name> from `torch_llama.py check`):
#   gqa-untied  4 heads over 2 kv heads (grouped-query attention), untied lm_head, rope_theta 1000, 2 layers
#   tied        2 heads, tied embeddings, rms_norm_eps 1e-6, 1 layer
# `init` draws weights with std 0.02 and norms = 1; we then rescale them (std ~0.3, norms 1 ± 0.3) so that a bug
# that only shows with non-unit norm weights or large activations (a missing norm-weight multiply, a RoPE sign)
# moves the logits by far more than float noise. Rows have different real lengths: shorter rows are padded with
# id 0 at weight 0, which under causal attention changes neither their logits nor any gradient, so trimer can run
# the rows unpadded. Weights are non-binary (0, 0.25, 0.5, 1, 1.5, 2).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REF=${TRIMER_TORCH_REF:-$ROOT/../shared/reference/torch_llama.py}
PY=${PYTHON:-/usr/bin/python3}
OUT=$ROOT/test/fixtures/torch
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A 31-id char tokenizer (trimer's format): 11 special tokens + 20 characters, so that vocab_size 32 fits it.
TOKENIZER='{"type":"trimer-char","version":1,"special":["<pad>","<bos>","<eos>","<unk>","<|system|>","<|user|>","<|assistant|>","<think>","</think>","<answer>","</answer>"],"chars":["0","1","2","3","4","5","6","7","8","9","+","-","*","/","=","(",")"," ","x","\n"]}'

make() { # name config-json seed
  name=$1; cfg=$2; seed=$3
  dir=$OUT/$name
  mkdir -p "$dir"
  printf '%s\n' "$cfg" > "$TMP/$name.config.json"
  "$PY" "$REF" init --config "$TMP/$name.config.json" --out "$dir" --seed "$seed"
  "$PY" - "$REF" "$dir" "$seed" <<'PY'
import importlib.util, os, sys, torch
spec = importlib.util.spec_from_file_location("ref", sys.argv[1]); ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
path = os.path.join(sys.argv[2], "model.safetensors")
P = ref.read_safetensors(path)
g = torch.Generator().manual_seed(1000 + int(sys.argv[3]))
for n, t in P.items():
    if t.dim() == 1:
        P[n] = 1 + 0.3 * torch.randn(t.shape, generator=g)
    else:
        P[n] = t * 15  # std 0.02 -> 0.3
ref.write_safetensors(path, P, {"format": "pt"})
PY
  printf '%s\n' "$TOKENIZER" > "$dir/tokenizer.json"
  cat > "$dir/batch.json" <<'JSON'
{"tokens": [[1, 12, 21, 13, 25, 18, 11, 20, 14, 17, 28, 2],
            [1, 30, 19, 16, 27, 11, 23, 15, 2, 0, 0, 0],
            [1, 5, 17, 22, 29, 2, 0, 0, 0, 0, 0, 0]],
 "weights": [[0, 0, 0.5, 1, 1, 2, 2, 1.5, 1, 0.25, 1],
             [0, 1, 1, 0.5, 0.5, 2, 1, 1, 0, 0, 0],
             [0.25, 0.5, 1, 2, 1, 0, 0, 0, 0, 0, 0]],
 "lengths": [12, 9, 6]}
JSON
  "$PY" "$REF" check --model "$dir" --batch "$dir/batch.json" --out "$dir/expected.safetensors"
}

make gqa-untied '{"vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 24, "max_position_embeddings": 16, "rms_norm_eps": 1e-5, "rope_theta": 1000.0, "tie_word_embeddings": false}' 1
make tied '{"vocab_size": 32, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2, "intermediate_size": 16, "max_position_embeddings": 16, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true}' 2
du -sh "$OUT"/*
