"""trimer's verifier as a verl custom reward function.

Standard library only. Every call goes to `trimer serve-reward`, which grades with trimer's verifier and TriMER's
rule reward (1.0 correct, 0.2 wrong but a parseable \\boxed{} answer, 0 otherwise).

1. Data:    trimer export --format verl --bench train.jsonl --out train.parquet
            trimer export --format verl --bench gsm8k --split test --out test.parquet
   Rows carry data_source "trimer/<source>" (e.g. trimer/gsm8k): no built-in verl scorer claims that name, so a
   run that forgot the overrides below stops with verl's NotImplementedError instead of grading with another rule.
2. Server:  TRIMER_REWARD_TOKEN=s3cret trimer serve-reward --host 0.0.0.0 --port 5000 --quiet
3. verl:    python3 -m verl.trainer.main_ppo \\
              custom_reward_function.path=/path/to/trimer/integrations/trimer_verl_reward.py \\
              custom_reward_function.name=compute_score \\
              +custom_reward_function.reward_kwargs.url=http://RM_HOST:5000/get_reward \\
              +custom_reward_function.reward_kwargs.token=s3cret  ...
   Batched (one request per batch, faster): custom_reward_function.name=compute_score_batch and
   reward_manager.name=batch (older verl: reward_model.reward_manager=batch).

verl merges custom_reward_function.reward_kwargs into every call. Without them the server comes from the
environment of verl's reward workers: TRIMER_REWARD_URL (default http://127.0.0.1:5000/get_reward) and
TRIMER_REWARD_TOKEN.

Each score is a dict: "score" (the reward verl trains on), "acc" (1.0 when correct; verl logs it per data
source in validation), "formatted". A failed request raises RuntimeError: a reward that silently became 0 would
train the policy on noise.
"""

import json
import os
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:5000/get_reward"


def _server(url, token):
    url = url or os.environ.get("TRIMER_REWARD_URL") or DEFAULT_URL
    token = token if token is not None else os.environ.get("TRIMER_REWARD_TOKEN")
    return url, token


# Each integration file stands alone (verl and OpenRLHF load one file by its path, with no package around it),
# so this small HTTP client is repeated in each file on purpose rather than imported from a shared module.
def _post(url, token, texts, golds, timeout=300.0, retries=3):
    body = json.dumps({"query": list(texts), "labels": ["" if g is None else str(g) for g in golds]}).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    last = None
    for attempt in range(retries):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                out = json.loads(response.read().decode("utf-8"))
            if len(out.get("rewards", [])) != len(texts):
                raise RuntimeError("trimer reward server %s answered %d rewards for %d responses"
                                   % (url, len(out.get("rewards", [])), len(texts)))
            return out
        except urllib.error.HTTPError as e:
            last = "HTTP %d: %s" % (e.code, e.read().decode("utf-8", "replace")[:300])
            if e.code != 503 and 400 <= e.code < 500:
                break
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        if attempt + 1 < retries:
            time.sleep(min(2 ** attempt, 5))
    raise RuntimeError("trimer reward server %s failed: %s (is `trimer serve-reward` running there, with the "
                       "same token?)" % (url, last))


def _scores(out):
    logs = out.get("extra_logs", {})
    correct = logs.get("correct", out.get("scores", []))
    formatted = logs.get("formatted", [0] * len(out["rewards"]))
    return [{"score": float(r), "acc": float(c), "formatted": float(f)}
            for r, c, f in zip(out["rewards"], correct, formatted)]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, url=None, token=None, timeout=300.0,
                  **kwargs):
    """verl's per-response interface (NaiveRewardManager): the reward of one decoded response."""
    url, token = _server(url, token)
    return _scores(_post(url, token, [solution_str], [ground_truth], float(timeout)))[0]


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, url=None, token=None,
                        timeout=300.0, **kwargs):
    """verl's batched interface (reward_manager.name=batch): one request for the whole batch, one dict each."""
    if len(solution_strs) != len(ground_truths):
        raise ValueError("trimer reward: %d responses but %d ground truths" % (len(solution_strs), len(ground_truths)))
    if len(solution_strs) == 0:
        return []
    url, token = _server(url, token)
    return _scores(_post(url, token, list(solution_strs), list(ground_truths), float(timeout)))
