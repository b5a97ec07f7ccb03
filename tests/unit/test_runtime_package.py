"""What ships (kit, services, gateway) carries none of the tests' support: importing every one of its
modules, in a fresh interpreter, loads neither pytest, nor testcontainers, nor the tests' own harness."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {"pytest", "testcontainers", "harness", "schemathesis", "pika"}
IMPORT_ALL = """
import importlib, json, pkgutil, sys
for package in sys.argv[1:]:
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, package + "."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_installed_packages_are_the_runtime_ones():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["packages"]["find"]["include"] == ["kit*", "services*", "gateway*"]


def test_importing_the_runtime_loads_nothing_of_the_tests():
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, "kit", "services", "gateway"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules = {name.split(".")[0] for name in json.loads(loaded.stdout)}
    assert modules & TEST_ONLY == set()
