"""The stack uses the plan's model: Bedrock through the backend's role on exactly that model, any other provider
through a secret API key; streams drain before a pod stops. Expected values are written out by hand."""

from __future__ import annotations

import json
import math

import kubernetes_validate
import pulumi
import pytest
from stack_mocks import ACCOUNT_ID, Run, run_program, use_stack_modules

use_stack_modules()
import config as stack_config
import llm_access

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SECRET = "kubernetes:core/v1:Secret"
API_KEY = "sk-test-never-shown-0123456789"
# pulumi.runtime.rpc's marker of a secret value on the wire.
SECRET_SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
BASE = {"concurrentUsers": 1000, "totalUsers": 10000}


@pytest.fixture(scope="module")
def bedrock() -> Run:
    return run_program(BASE)


@pytest.fixture(scope="module")
def openai() -> Run:
    return run_program({**BASE, "llm": "openai:gpt-4o-mini", "llmApiKey": API_KEY}, secret_keys=["llmApiKey"])


def pod_spec(run: Run, app: str) -> dict:
    return run.named(f"workloads-{app}").inputs["spec"]["template"]["spec"]


def env(run: Run, app: str) -> dict[str, dict]:
    return {e["name"]: e for e in pod_spec(run, app)["containers"][0]["env"]}


def test_bedrock_policy_allows_invoking_exactly_the_default_model(bedrock):
    (policy,) = [r for r in bedrock.of_type(ROLE_POLICY) if r.name == "workloads-backend-model-access"]
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{HAIKU}"
    actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "InvokeTheProfile", "Effect": "Allow", "Action": actions, "Resource": profile},
            {
                "Sid": "InvokeTheModelThroughTheProfile",
                "Effect": "Allow",
                "Action": actions,
                "Resource": [
                    "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
                    "arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
                ],
                "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
            },
        ],
    }
    # On the backend's own role, the one its Pod Identity association hands the backend's service account.
    role = bedrock.named("workloads-backend-role")
    assert policy.inputs["role"] == f"{role.name}-id"
    assert not llm_secrets(bedrock)
    assert {k: v.get("value") for k, v in env(bedrock, "backend").items() if k.startswith("LLM_")} == {
        "LLM_PROVIDER": "aws",
        "LLM_MODEL": HAIKU,
    }


def llm_secrets(run: Run) -> list:
    """The model's API key Secrets (the cache's AUTH token has its own Secret)."""
    return [r for r in run.of_type(SECRET) if r.inputs["metadata"]["name"] == "llm-api-key"]


def test_an_in_region_or_geographic_model_gets_its_own_arns():
    regional = json.loads(llm_access.bedrock_policy("amazon.nova-micro-v1:0", "eu-west-1", ACCOUNT_ID))
    assert regional["Statement"] == [
        {
            "Sid": "InvokeTheModel",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-micro-v1:0",
        }
    ]
    geo = json.loads(llm_access.bedrock_policy("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2", "1"))
    assert geo["Statement"][1]["Resource"] == [
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    ]  # no global (empty) region
    assert geo["Statement"][0]["Resource"] == (
        "arn:aws:bedrock:us-west-2:1:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )


def test_another_provider_gets_a_secret_by_reference_and_no_model_grant(openai):
    (secret,) = llm_secrets(openai)
    assert secret.inputs["metadata"]["name"] == "llm-api-key" and secret.inputs["metadata"]["namespace"] == "chat-app"
    # Sent to the engine as a Pulumi secret (its special signature), so the state stores it encrypted.
    assert secret.inputs["stringData"] == {SECRET_SIG_KEY: SECRET_SIG, "value": {"api-key": API_KEY}}
    backend = env(openai, "backend")
    assert backend["LLM_API_KEY"] == {
        "name": "LLM_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "llm-api-key", "key": "api-key"}},
    }
    assert {k: v.get("value") for k, v in backend.items() if k in ("LLM_PROVIDER", "LLM_MODEL")} == {
        "LLM_PROVIDER": "openai",
        "LLM_MODEL": "gpt-4o-mini",
    }
    assert "LLM_API_KEY" not in env(openai, "frontend")
    assert not [r for r in openai.of_type(ROLE_POLICY) if r.name == "workloads-backend-model-access"]
    # The key is in no output and in no other resource's inputs, plain or nested.
    assert API_KEY not in json.dumps(openai.outputs)
    assert [r.name for r in openai.resources if API_KEY in json.dumps(r.inputs, default=str)] == [secret.name]
    version = stack_config.DEFAULT_KUBERNETES_VERSION
    unwrapped = {**secret.inputs, "stringData": secret.inputs["stringData"]["value"]}
    assert kubernetes_validate.validate(unwrapped, version, strict=True) == version


def test_the_backend_waits_for_its_secret_before_starting(openai):
    (secret,) = llm_secrets(openai)
    assert secret.urn in openai.named("workloads-backend").dependencies


def test_a_missing_api_key_stops_the_preview_naming_the_key():
    with pytest.raises(
        pulumi.RunError,
        match=r"^chat-infra:llmApiKey: missing; the openai model gpt-4o-mini needs an "
        r"API key: `pulumi config set --secret chat-infra:llmApiKey <key>`",
    ):
        run_program({**BASE, "llm": "openai:gpt-4o-mini"})


def test_a_plain_text_api_key_is_refused():
    with pytest.raises(pulumi.RunError, match="chat-infra:llmApiKey: stored in plain text"):
        run_program({**BASE, "llm": "openai:gpt-4o-mini", "llmApiKey": API_KEY})


def test_a_bad_model_stops_the_preview_naming_the_key():
    with pytest.raises(pulumi.RunError, match="^chat-infra:llm: unknown OpenAI model 'gpt-4o-minii'; did you mean"):
        run_program({**BASE, "llm": "openai:gpt-4o-minii", "llmApiKey": API_KEY}, secret_keys=["llmApiKey"])


def test_pods_drain_their_streams_before_stopping(bedrock):
    # Haiku's 90th-percentile answer: 0.6 s + 424 / 65 tokens/s = 7.12 s; twice that, 15 s, + 5 s pre-stop + 10 s
    # to close = 30 s, which is also Kubernetes' floor.
    for app in ("backend", "frontend"):
        spec = pod_spec(bedrock, app)
        assert spec["terminationGracePeriodSeconds"] == 5 + math.ceil(2 * (0.6 + 424 / 65)) + 10 == 30
        assert spec["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}


def test_slow_streams_get_a_longer_drain():
    run = run_program({**BASE, "assumptions": {"llm": {"output_tokens_per_s": 8}}})
    # p90 = 0.6 + 424 / 8 = 53.6 s; 5 + ceil(107.2) + 10 = 123 s.
    assert pod_spec(run, "backend")["terminationGracePeriodSeconds"] == 123


def test_no_llm_means_no_grant_and_no_model_env():
    run = run_program({**BASE, "llm": "none"})
    assert not [r for r in run.of_type(ROLE_POLICY) if r.name == "workloads-backend-model-access"]
    assert env(run, "backend")["LLM_PROVIDER"]["value"] == "none" and "LLM_MODEL" not in env(run, "backend")
    assert run.outputs["llmModel"] == "none" and run.outputs["llmMonthlyCostMaxUsd"] == 0


def test_outputs_carry_the_llm_cost_and_peak(bedrock):
    assert bedrock.outputs["llmModel"] == f"aws:{HAIKU}"
    # 1,000 turns/min at peak, 43,800,000 a month. The shipped two-turn conversation sends 945 + 70 = 1,015 then
    # 1,015 + 211 + 70 = 1,296 tokens, a mean of 1,155.5, nothing cached (under Haiku 4.5's 4,096-token minimum):
    # (1,155.5 x $1 + 211 x $5) / 1e6 = $0.0022105 a turn.
    assert bedrock.outputs["llmMonthlyCostMaxUsd"] == pytest.approx(96_819.90)
    assert bedrock.outputs["llmMonthlyCostMinUsd"] == pytest.approx(48_409.95)
    assert bedrock.outputs["llmPeakTokensPerMinute"] == 1_000 * (1_155.5 + 211)
    assert bedrock.outputs["monthlyCostExpectedUsd"] == bedrock.outputs["sizing"]["cost"]["expected_monthly_usd"]
    assert bedrock.outputs["monthlyCostMaxUsd"] == pytest.approx(
        bedrock.outputs["sizing"]["cost"]["infrastructure_monthly_usd"]["max"] + 96_819.90, abs=0.01
    )
