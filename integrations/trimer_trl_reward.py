"""trimer's verifier as a TRL reward function (GRPOTrainer(reward_funcs=[...])).

Standard library only. Each call sends the whole batch of completions in one request to `trimer serve-reward`,
which grades them with trimer's verifier and TriMER's rule reward (1.0 correct, 0.2 wrong but a parseable
\\boxed{} answer, 0 otherwise; `--reward correctness` gives 1 / 0).

Start the reward server (same machine or any machine the trainer reaches):

    TRIMER_REWARD_TOKEN=s3cret trimer serve-reward --port 5000 --quiet

and in the training script:

    import sys; sys.path.insert(0, "/path/to/trimer/integrations")
    from trimer_trl_reward import trimer_reward            # reads TRIMER_REWARD_URL / TRIMER_REWARD_TOKEN
    trainer = GRPOTrainer(model=..., reward_funcs=[trimer_reward], train_dataset=ds, args=GRPOConfig(...))

The dataset needs a "prompt" column (plain text or chat messages) and the gold answer in an "answer" column
(`trimer export --format openrlhf` rows use "label": make_reward_func(answer_field="label")). TRL passes every
dataset column to the reward function as a keyword argument; completions arrive as strings (plain prompts) or as
lists of messages (conversational prompts) and both are handled.

Environment: TRIMER_REWARD_URL (default http://127.0.0.1:5000/get_reward), TRIMER_REWARD_TOKEN (bearer token,
default none), TRIMER_REWARD_TIMEOUT (seconds per request, default 300).

A failed request raises RuntimeError naming the server and the reason: a reward that silently became 0 would
train the policy on noise.
"""

import json
import os
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:5000/get_reward"


def completion_text(completion):
    """The text to grade: a plain completion as is; a conversational one's assistant turns, joined in order."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content") or "")
    if isinstance(completion, (list, tuple)):
        parts = []
        for message in completion:
            if isinstance(message, dict):
                if message.get("role", "assistant") == "assistant":
                    parts.append(str(message.get("content") or ""))
            else:
                parts.append(str(message))
        return "\n".join(parts)
    return str(completion)


# Each integration file stands alone (a user points an engine at one file), so this small HTTP client is repeated
# in the verl and OpenRLHF files on purpose rather than imported from a shared module.
def post_rewards(url, token, texts, golds, timeout=300.0, retries=3):
    """POSTs one batch to serve-reward; returns its JSON answer (rewards, scores, extra_logs)."""
    body = json.dumps({"query": list(texts), "labels": [str(g) for g in golds]}).encode("utf-8")
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
                raise RuntimeError("trimer reward server %s answered %d rewards for %d completions"
                                   % (url, len(out.get("rewards", [])), len(texts)))
            return out
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:300]
            # 503 = busy (retry); anything else in 4xx is a mistake that a retry will not fix.
            last = "HTTP %d: %s" % (e.code, detail)
            if e.code != 503 and 400 <= e.code < 500:
                break
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        if attempt + 1 < retries:
            time.sleep(min(2 ** attempt, 5))
    raise RuntimeError("trimer reward server %s failed: %s (is `trimer serve-reward` running there, with the "
                       "same token?)" % (url, last))


def make_reward_func(url=None, token=None, answer_field="answer", timeout=None, name="trimer_reward"):
    """A TRL reward function bound to one server and one gold-answer column. TRL logs it as rewards/<name>/…"""
    url = url or os.environ.get("TRIMER_REWARD_URL") or DEFAULT_URL
    token = token if token is not None else os.environ.get("TRIMER_REWARD_TOKEN")
    timeout = float(timeout if timeout is not None else os.environ.get("TRIMER_REWARD_TIMEOUT", 300))

    def reward(completions, **kwargs):
        golds = kwargs.get(answer_field)
        if golds is None:
            raise KeyError("trimer reward: the dataset has no %r column (columns passed: %s); pass "
                           "make_reward_func(answer_field=...)" % (answer_field, ", ".join(sorted(kwargs)) or "none"))
        if len(golds) != len(completions):
            raise ValueError("trimer reward: %d completions but %d gold answers" % (len(completions), len(golds)))
        if not completions:
            return []
        out = post_rewards(url, token, [completion_text(c) for c in completions], golds, timeout)
        return [float(r) for r in out["rewards"]]

    reward.__name__ = name
    reward.__qualname__ = name
    return reward


def trimer_reward(completions, **kwargs):
    """TriMER's reward of each completion against the "answer" column (server and token from the environment)."""
    return make_reward_func()(completions, **kwargs)
