"""Runs the PySpark tests from `mvn verify` against the packaged jar. Without pyspark installed they
are skipped with a notice, unless WAVG_REQUIRE_PYSPARK=1 (as in CI), where that is an error."""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
venv_python = os.path.join(here, "..", "..", "..", ".venv", "bin", "python")
python = os.environ.get("WAVG_PYTHON") or (venv_python if os.path.exists(venv_python) else sys.executable)
probe = subprocess.run([python, "-c", "import pyspark, pytest"], capture_output=True)
if probe.returncode != 0:
    message = ("PySpark tests need pyspark==4.2.0 and pytest for " + python
               + " (pip install -r src/test/python/requirements.txt, or set WAVG_PYTHON)")
    if os.environ.get("WAVG_REQUIRE_PYSPARK") == "1":
        sys.exit("ERROR: " + message)
    print("SKIPPED: " + message)
    sys.exit(0)
sys.exit(subprocess.call([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", here]))
