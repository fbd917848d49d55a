"""Style is part of the suite: ruff on the Python, sqlfluff on the dbt models."""

import subprocess
import sys
from pathlib import Path

from .conftest import SQLLint

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_python_style_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           "pipelines", "simulator", "tests", "bench", "dashboard", "app_pages",
                           "streamlit_app.py"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_sql_style_is_clean():
    """sqlfluff's verdict on dbt_project/models (run alongside the suite: conftest.SQLLint)."""
    code, output = SQLLint.result()
    assert code == 0, output[-6000:]
