"""The interop suite's Python side: the field's own tools, used as oracles on a trimer checkpoint and `trimer serve`.

    python peers.py --model DIR --url http://127.0.0.1:PORT/v1 --name NAME --token T --expect expect.json --gguf F.gguf

Each check prints "ok   <name>" or "FAIL <name>: <why>"; the exit status is the number of failures (0 = all passed).
Expected values come from trimer in-process (interop/expect.mjs), never from the server under test.
"""
import argparse
import json
import math
import os
import sys
import traceback

failures = 0


def check(name):
    def wrap(fn):
        global failures
        try:
            fn()
            print(f"ok   {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the suite goes on
            failures += 1
            tb = traceback.format_exc(limit=3).strip().splitlines()
            print(f"FAIL {name}: {type(e).__name__}: {e}\n     " + "\n     ".join(tb[-3:]), flush=True)
        return fn
    return wrap


def eq(a, b, what=""):
    if a != b:
        raise AssertionError(f"{what}: {a!r} != {b!r}")


ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--url", required=True)
ap.add_argument("--name", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--expect", required=True)
ap.add_argument("--gguf", required=True)
args = ap.parse_args()
E = json.load(open(args.expect))
root = args.url[: -len("/v1")]


# ---------------------------------------------------------------------------------------------------- tokenizers
@check("transformers AutoTokenizer and tokenizers give trimer's ids and text (ASCII, LaTeX, outside the vocabulary, empty, specials)")
def _():
    from transformers import AutoTokenizer
    from tokenizers import Tokenizer
    tok = AutoTokenizer.from_pretrained(args.model)
    raw = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    eq(len(tok), E["vocabSize"], "vocabulary size")
    for t in E["texts"]:
        eq(tok(t["text"], add_special_tokens=False)["input_ids"], t["ids"], repr(t["text"]))
        eq(tok(t["text"])["input_ids"], [tok.bos_token_id] + t["ids"], repr(t["text"]) + " with special tokens")
        eq(raw.encode(t["text"], add_special_tokens=False).ids, t["ids"], repr(t["text"]) + " (tokenizers)")
        eq(tok.decode(t["ids"], skip_special_tokens=True), t["decoded"], repr(t["text"]) + " decoded")


@check("apply_chat_template (the checkpoint's Jinja template) gives trimer's chat ids")
def _():
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(args.model)
    for c in E["chats"]:
        ids = tok.apply_chat_template(c["messages"], add_generation_prompt=True, tokenize=True, return_dict=False)
        eq(list(ids), c["ids"], json.dumps(c["messages"]))


# ---------------------------------------------------------------------------------------------------- transformers
@check("AutoModelForCausalLM + apply_chat_template + greedy generate == trimer serve (chat, temperature 0)")
def _():
    import torch
    from openai import OpenAI
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    client = OpenAI(base_url=args.url, api_key=args.token, max_retries=0)
    for c in E["chats"]:
        ids = tok.apply_chat_template(c["messages"], add_generation_prompt=True, return_tensors="pt", return_dict=True)
        out = model.generate(**ids, max_new_tokens=c["maxTokens"], do_sample=False, pad_token_id=tok.pad_token_id)
        hf_text = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
        served = client.chat.completions.create(model=args.name, messages=c["messages"], max_tokens=c["maxTokens"], temperature=0)
        eq(served.choices[0].message.content, hf_text, json.dumps(c["messages"]))
        eq(hf_text, c["greedy"], "transformers vs trimer in-process")


def E_ctx():
    import requests
    info = requests.get(root + "/tokenizer_info", headers={"Authorization": f"Bearer {args.token}"}, timeout=30).json()
    return info["model_max_length"]  # plus the prompt's tokens: beyond the context


# ---------------------------------------------------------------------------------------------------- openai client
def client():
    from openai import OpenAI
    return OpenAI(base_url=args.url, api_key=args.token, max_retries=0)


@check("openai client: chat and completions (temperature 0) == trimer in-process")
def _():
    c = client()
    eq([m.id for m in c.models.list().data], [args.name], "models")
    eq(c.models.retrieve(args.name).id, args.name, "models.retrieve")
    for ch in E["chats"]:
        r = c.chat.completions.create(model=args.name, messages=ch["messages"], max_tokens=ch["maxTokens"], temperature=0)
        eq(r.choices[0].message.content, ch["greedy"], "chat")
    for co in E["completions"]:
        r = c.completions.create(model=args.name, prompt=co["prompt"], max_tokens=co["maxTokens"], temperature=0)
        eq(r.choices[0].text, co["greedy"], "completion " + repr(co["prompt"]))


@check("openai client: streaming (chat and completions) concatenates to the full answer; usage in the last chunk")
def _():
    c = client()
    ch = E["chats"][0]
    full = c.chat.completions.create(model=args.name, messages=ch["messages"], max_tokens=ch["maxTokens"], temperature=0)
    parts, usage, n_chunks = [], None, 0
    for chunk in c.chat.completions.create(model=args.name, messages=ch["messages"], max_tokens=ch["maxTokens"], temperature=0, stream=True, stream_options={"include_usage": True}):
        n_chunks += 1
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
    eq("".join(parts), full.choices[0].message.content, "streamed chat text")
    eq(usage.completion_tokens, full.usage.completion_tokens, "usage.completion_tokens")
    eq(usage.prompt_tokens, full.usage.prompt_tokens, "usage.prompt_tokens")
    if n_chunks < full.usage.completion_tokens:
        raise AssertionError(f"{n_chunks} chunks for {full.usage.completion_tokens} tokens: not token by token")
    co = E["completions"][0]
    text = "".join(ch.choices[0].text for ch in c.completions.create(model=args.name, prompt=co["prompt"], max_tokens=co["maxTokens"], temperature=0, stream=True) if ch.choices)
    eq(text, co["greedy"], "streamed completion")


@check("openai client: n > 1, seed (same seed → same samples), stop, logprobs / top_logprobs")
def _():
    c = client()
    msgs = E["chats"][0]["messages"]
    a = c.chat.completions.create(model=args.name, messages=msgs, max_tokens=12, temperature=1.0, n=3, seed=123)
    b = c.chat.completions.create(model=args.name, messages=msgs, max_tokens=12, temperature=1.0, n=3, seed=123)
    eq(len(a.choices), 3, "n")
    eq([x.message.content for x in a.choices], [x.message.content for x in b.choices], "seeded samples")
    eq(sorted(x.index for x in a.choices), [0, 1, 2], "indices")
    s = c.completions.create(model=args.name, prompt="12+30=", max_tokens=24, temperature=0, stop=["\n"])
    eq(s.choices[0].finish_reason, "stop", "finish_reason with stop")
    if "\n" in s.choices[0].text:
        raise AssertionError("the stop string is in the text")
    lp = c.chat.completions.create(model=args.name, messages=msgs, max_tokens=8, temperature=0, logprobs=True, top_logprobs=5)
    for e in lp.choices[0].logprobs.content:
        eq(len(e.top_logprobs), 5, "top_logprobs")
        if abs(e.top_logprobs[0].logprob - e.logprob) > 1e-9:
            raise AssertionError(f"greedy token's logprob {e.logprob} is not its top-1 {e.top_logprobs[0].logprob}")
        if not all(t.logprob <= 0 for t in e.top_logprobs):
            raise AssertionError("a logprob above 0")
    cl = c.completions.create(model=args.name, prompt="7+8=", max_tokens=6, temperature=0, logprobs=3)
    l = cl.choices[0].logprobs
    eq(len(l.tokens), len(l.token_logprobs), "tokens / token_logprobs")
    for tok_s, tok_lp, top in zip(l.tokens, l.token_logprobs, l.top_logprobs):
        eq(top.get(tok_s), tok_lp, "chosen token in top_logprobs")


@check("openai client: errors raise the right exception classes")
def _():
    import openai
    c = client()
    msgs = [{"role": "user", "content": "hi"}]

    def raises(cls, fn, param=None):
        try:
            fn()
        except cls as e:
            if param is not None:
                eq((e.body or {}).get("param"), param, f"{cls.__name__}.param")
            return
        raise AssertionError(f"no {cls.__name__}")

    raises(openai.BadRequestError, lambda: c.chat.completions.create(model=args.name, messages=msgs, temperature=5), "temperature")
    raises(openai.BadRequestError, lambda: c.chat.completions.create(model=args.name, messages=msgs, response_format={"type": "json_object"}), "response_format")
    raises(openai.BadRequestError, lambda: c.chat.completions.create(model=args.name, messages=msgs, tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}]), "tools")
    raises(openai.BadRequestError, lambda: c.completions.create(model=args.name, prompt="1", max_tokens=10**6), "max_tokens")
    raises(openai.BadRequestError, lambda: c.completions.create(model=args.name, prompt="1", max_tokens=E_ctx()), "max_tokens")
    raises(openai.NotFoundError, lambda: c.chat.completions.create(model="no-such-model", messages=msgs))
    from openai import OpenAI
    bad = OpenAI(base_url=args.url, api_key="wrong", max_retries=0)
    raises(openai.AuthenticationError, lambda: bad.models.list())


# ---------------------------------------------------------------------------------------------------- lm-eval
def instances(kind, argss):
    from lm_eval.api.instance import Instance
    return [Instance(request_type=kind, doc={}, arguments=a, idx=i) for i, a in enumerate(argss)]


@check("lm-eval local-completions (remote tokenizer auto-detected): generate_until and loglikelihood == trimer in-process")
def _():
    from lm_eval.models.openai_completions import LocalCompletionsAPI
    lm = LocalCompletionsAPI(base_url=args.url + "/completions", model=args.name, auth_token=args.token, batch_size=4, num_concurrent=1, max_retries=1, max_length=256)
    eq(lm.tokenizer_backend, "remote", "tokenizer backend (lm-eval asks GET /tokenizer_info, POST /tokenize)")
    gens = lm.generate_until(instances("generate_until", [(g["prompt"], {"until": g["until"], "max_gen_toks": g["maxTokens"]}) for g in E["generate"]]))
    eq(gens, [g["greedy"] for g in E["generate"]], "generate_until")
    lls = lm.loglikelihood(instances("loglikelihood", [(p["context"], p["continuation"]) for p in E["loglikelihood"]]))
    for (ll, greedy), p in zip(lls, E["loglikelihood"]):
        if abs(ll - p["ll"]) > 1e-4:
            raise AssertionError(f"loglikelihood{(p['context'], p['continuation'])}: served {ll} vs in-process {p['ll']}")
        eq(bool(greedy), p["isGreedy"], f"is_greedy{(p['context'], p['continuation'])}")


@check("lm-eval local-chat-completions: generate_until over chat messages == trimer in-process (the model's chat template)")
def _():
    from lm_eval.models.api_models import JsonChatStr
    from lm_eval.models.openai_completions import LocalChatCompletion
    lm = LocalChatCompletion(base_url=args.url + "/chat/completions", model=args.name, num_concurrent=1, max_retries=1)
    reqs = [(JsonChatStr(json.dumps(g["messages"])), {"until": g["until"], "max_gen_toks": g["maxTokens"]}) for g in E["chatGenerate"]]
    eq(lm.generate_until(instances("generate_until", reqs)), [g["greedy"] for g in E["chatGenerate"]], "chat generate_until")


# ---------------------------------------------------------------------------------------------------- gguf
@check("the gguf package reads the exported file's metadata back")
def _():
    from gguf import GGUFReader
    r = GGUFReader(args.gguf)
    f = {k: v.contents() for k, v in r.fields.items()}
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    eq(f["general.architecture"], "llama", "architecture")
    eq(f["llama.block_count"], cfg["num_hidden_layers"], "block_count")
    eq(f["llama.embedding_length"], cfg["hidden_size"], "embedding_length")
    eq(f["llama.attention.head_count_kv"], cfg["num_key_value_heads"], "head_count_kv")
    eq(f["llama.context_length"], cfg["max_position_embeddings"], "context_length")
    if not math.isclose(f["llama.rope.freq_base"], cfg["rope_theta"], rel_tol=1e-6):
        raise AssertionError("rope.freq_base")
    eq(len(f["tokenizer.ggml.tokens"]), cfg["vocab_size"], "one token per embedding row")
    eq(f["tokenizer.ggml.bos_token_id"], cfg["bos_token_id"], "bos")
    eq(f["tokenizer.ggml.eos_token_id"], cfg["eos_token_id"], "eos")
    tc = json.load(open(os.path.join(args.model, "tokenizer_config.json")))
    eq(f["tokenizer.chat_template"], tc["chat_template"], "chat template")
    names = {t.name for t in r.tensors}
    for want in ["token_embd.weight", "output_norm.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight"]:
        if want not in names:
            raise AssertionError(f"no tensor {want}")
    eq(len(r.tensors), 2 + 9 * cfg["num_hidden_layers"] + (0 if cfg["tie_word_embeddings"] else 1), "tensor count")


sys.exit(min(failures, 100))
