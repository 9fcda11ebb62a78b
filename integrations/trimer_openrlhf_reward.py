"""trimer's verifier for OpenRLHF: a `reward_func(queries, prompts, labels)` file for --reward.remote_url.

Standard library only. Two ways to use trimer's reward in OpenRLHF (flag names as in OpenRLHF's
openrlhf/cli/train_ppo_ray.py, checked 2026-12):

A. Straight at the server (no file). OpenRLHF's HTTP client sends no headers, so the token rides in the URL:

    TRIMER_REWARD_TOKEN=s3cret trimer serve-reward --host 0.0.0.0 --port 5000 --quiet
    python3 -m openrlhf.cli.train_ppo_ray ... \\
      --reward.remote_url "http://RM_HOST:5000/get_reward?token=s3cret" \\
      --data.prompt_dataset train.jsonl --data.input_key prompt --data.label_key label --data.apply_chat_template

B. Through this file, which sends the token as an Authorization header instead (it stays out of URLs and logs):

    export TRIMER_REWARD_URL=http://RM_HOST:5000/get_reward TRIMER_REWARD_TOKEN=s3cret
    python3 -m openrlhf.cli.train_ppo_ray ... \\
      --reward.remote_url /path/to/trimer/integrations/trimer_openrlhf_reward.py \\
      --data.prompt_dataset train.jsonl --data.input_key prompt --data.label_key label --data.apply_chat_template

train.jsonl comes from `trimer export --format openrlhf --bench problems.jsonl --out train.jsonl`. The environment
variables must reach OpenRLHF's workers (e.g. ray job submit --runtime-env-json '{"env_vars": {...}}').

OpenRLHF passes the decoded prompt+response as each query; the server grades what follows the prompt. The
answer is a dict with "rewards" (TriMER's rule reward), "scores" (1/0 correctness, OpenRLHF's dynamic-filtering
value) and "extra_logs" (correct, formatted, …), as OpenRLHF's HTTP path returns. A failed request raises
RuntimeError naming the server: OpenRLHF logs it, and a reward that silently became 0 would train on noise.
"""

import json
import os
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:5000/get_reward"


# Each integration file stands alone (verl and OpenRLHF load one file by its path, with no package around it),
# so this small HTTP client is repeated in each file on purpose rather than imported from a shared module.
def _post(url, token, payload, timeout=300.0, retries=3):
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    last = None
    for attempt in range(retries):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
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


def reward_func(queries, prompts, labels, **kwargs):
    """OpenRLHF's reward-function interface: one reward per query (prompt + response) against its label."""
    url = os.environ.get("TRIMER_REWARD_URL") or DEFAULT_URL
    token = os.environ.get("TRIMER_REWARD_TOKEN")
    timeout = float(os.environ.get("TRIMER_REWARD_TIMEOUT", 300))
    if len(labels) != len(queries):
        raise ValueError("trimer reward: %d queries but %d labels (start OpenRLHF with --data.label_key)"
                         % (len(queries), len(labels)))
    payload = {"query": list(queries), "labels": ["" if g is None else str(g) for g in labels]}
    if prompts is not None:
        payload["prompts"] = list(prompts)
    out = _post(url, token, payload, timeout)
    if len(out.get("rewards", [])) != len(queries):
        raise RuntimeError("trimer reward server %s answered %d rewards for %d queries"
                           % (url, len(out.get("rewards", [])), len(queries)))
    return out
