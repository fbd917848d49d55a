"""Python style is part of the suite, as SQL style is (``test_dbt.test_sql_style_is_clean``)."""

import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_python_style_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           "pipelines", "simulator", "tests", "bench", "dashboard", "app_pages",
                           "streamlit_app.py"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
