"""The JavaScript guest SDK's logic, tested under Node with the WIT imports faked.

The tests themselves are in tests/guests/js/*.test.mjs (Node's test runner); this runs them.
Without Node.js it fails, never skips: JavaScript guests are part of the product.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_js_sdk_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node not found: the JavaScript SDK tests need Node.js 20+ (then scripts/setup)"
        )
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", "tests/guests/js/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, result.stdout
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), result.stdout
