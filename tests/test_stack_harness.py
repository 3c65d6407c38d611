"""The mock harness itself: it must fail loudly when a program records nothing, fails in an apply or calls an
unmocked function, or the stack tests could pass without having checked anything."""

from __future__ import annotations

import pytest
from stack_mocks import UnmockedCall, run_program


def program(tmp_path, body: str):
    (tmp_path / "__main__.py").write_text("import pulumi\nimport pulumi_aws as aws\n" + body)
    return tmp_path


def test_a_program_that_declares_nothing_is_refused(tmp_path):
    with pytest.raises(AssertionError, match="nothing was recorded"):
        run_program({}, program=program(tmp_path, "pulumi.export('x', 1)\n"))


def test_a_failure_inside_an_apply_fails_the_run(tmp_path):
    body = (
        "bucket = aws.s3.Bucket('b')\n"
        "def boom(_):\n    raise ValueError('failed inside apply')\n"
        "pulumi.export('x', bucket.id.apply(boom))\n"
    )
    with pytest.raises(ValueError, match="failed inside apply"):
        run_program({}, program=program(tmp_path, body))


def test_an_unmocked_provider_call_fails_the_run(tmp_path):
    body = "aws.s3.Bucket('b')\npulumi.export('id', aws.get_region().name)\n"
    with pytest.raises(UnmockedCall, match="getRegion"):
        run_program({}, program=program(tmp_path, body))


def test_a_recorded_run_carries_inputs_options_and_outputs(tmp_path):
    body = (
        "b = aws.s3.Bucket('b', tags={'k': 'v'}, opts=pulumi.ResourceOptions(protect=True, ignore_changes=['tags']))\n"
        "pulumi.export('id', b.id)\n"
    )
    run = run_program({}, program=program(tmp_path, body))
    (bucket,) = run.resources
    assert (bucket.inputs["tags"], bucket.protect, bucket.ignore_changes) == ({"k": "v"}, True, ["tags"])
    assert run.outputs == {"id": "b-id"}
