"""``cxc crm sync`` as a user runs it: a real process on the sample export, a summary, a
malformed record refused with exit 1, a missing token with exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "crm"


def cxc(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CXC_")}
    full.update({"CXC_DATA_DIR": str(data_dir), "CXC_ENV": "test", **env})
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=data_dir,
        timeout=300,
    )


def test_sync_prints_a_summary_and_a_second_sync_changes_nothing(tmp_path: Path) -> None:
    first = cxc(tmp_path, "crm", "sync", "--adapter", "files", str(SAMPLES))
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout and "9" in first.stdout
    assert "syncing files" in first.stderr  # the progress bar
    again = cxc(tmp_path, "crm", "sync", str(SAMPLES), "--json", CXC_CRM_ADAPTER="files")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "created": 0, "updated": 0, "unchanged": 3, "conflicts": 0, "errors": [],
    }  # fmt: skip


def test_a_malformed_record_exits_1_naming_it(tmp_path: Path) -> None:
    folder = shutil.copytree(SAMPLES, tmp_path / "crm")
    text = (folder / "customers.csv").read_text(encoding="utf-8")
    (folder / "customers.csv").write_text(text.replace("3120,", "a lot,"), encoding="utf-8")
    result = cxc(tmp_path, "crm", "sync", "--adapter", "files", str(folder))
    assert result.returncode == 1
    assert "customers.csv row 3 (customer C-1002): lifetime_value 'a lot' is not a number" in (
        " ".join(result.stderr.split())
    )


def test_a_missing_token_exits_2_naming_the_setting(tmp_path: Path) -> None:
    result = cxc(tmp_path, "crm", "sync", "--adapter", "hubspot")
    assert result.returncode == 2 and "CXC_HUBSPOT_TOKEN is not set" in result.stderr


def test_past_cases_of_a_sync_are_remembered_once(tmp_path: Path) -> None:
    """``cxc cases remember`` after a sync embeds the CRM's past cases, and only once."""
    assert cxc(tmp_path, "crm", "sync", "--adapter", "files", str(SAMPLES)).returncode == 0
    first = cxc(tmp_path, "cases", "remember")
    assert first.returncode == 0, first.stderr
    assert "0 resolved cases and 2 CRM cases remembered" in " ".join(first.stdout.split())
    assert "remembering past cases" in first.stderr  # the progress bar
    again = cxc(tmp_path, "cases", "remember")
    assert "0 resolved cases and 0 CRM cases remembered" in " ".join(again.stdout.split())
