"""Run stacks/ the way ``pulumi-language-python-exec`` does, but against mocks, and report what it imported.

Meant to be started as ``python -I tests/stack_driver.py`` with cwd = stacks/: ``-I`` keeps this file's folder and
PYTHONPATH off sys.path, so, as under the language host, only what ``runpy.run_path(".")`` adds (stacks/) and the
installed distributions are importable. Config comes from PULUMI_CONFIG, as the CLI passes it. A ``pulumi.RunError``
prints its message alone and exits 1, as the exec script does; anything else prints a traceback and exits 2.
"""

import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path

import pulumi

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent


def load_mocks():
    # By file path: importing it by name would need tests/ on sys.path, which the language host does not have.
    spec = importlib.util.spec_from_file_location("stack_mocks", HERE / "stack_mocks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["stack_mocks"] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    path_before = list(sys.path)
    # Could anything on sys.path (plus stacks/, which run_path adds) provide `sizing` without the installed project?
    from_path = importlib.machinery.PathFinder.find_spec("sizing", [*sys.path, os.getcwd()])
    config = json.loads(os.environ.get("PULUMI_CONFIG", "{}"))
    mocks = load_mocks()
    try:
        run = mocks.run_program(config, program=".", region=None)
    except pulumi.RunError as error:
        print(str(error), file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 2
    sizing = sys.modules["sizing"]
    distribution = importlib.metadata.distribution("chat-infra")
    direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
    print(
        json.dumps(
            {
                "cwd": os.getcwd(),
                "sys_path": path_before,
                "sizing_findable_on_sys_path": from_path is not None,
                "sizing_file": sizing.__file__,
                "distribution": distribution.metadata["Name"],
                "editable": direct_url.get("dir_info", {}).get("editable", False),
                "tier": run.outputs["tier"],
                "node_groups": len(run.of_type("aws:eks/nodeGroup:NodeGroup")),
                "resources": len(run.resources),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
