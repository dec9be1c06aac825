"""The same bits on any cluster shape: a real Spark standalone cluster (a master and two workers on
this machine, each executor its own JVM) against local mode, on data where summation order shows."""
import json
import os
import random
import socket
import struct
import subprocess
import time
import urllib.request
from fractions import Fraction

import pytest

pyspark = pytest.importorskip("pyspark")
from pyspark.sql import SparkSession  # noqa: E402

from test_pyspark import shaded_jar  # noqa: E402

SPARK_HOME = os.path.dirname(pyspark.__file__)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_class(*args):
    env = dict(os.environ, SPARK_HOME=SPARK_HOME, SPARK_LOCAL_IP="127.0.0.1")
    return subprocess.Popen([os.path.join(SPARK_HOME, "bin", "spark-class"), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cluster():
    port, ui = free_port(), free_port()
    processes = [spark_class("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                             "--port", str(port), "--webui-port", str(ui))]
    url = f"spark://127.0.0.1:{port}"
    try:
        for _ in range(2):
            processes.append(spark_class("org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                                         "--cores", "1", "--memory", "1g", "--webui-port", str(free_port())))
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json", timeout=2) as response:
                    if json.load(response).get("aliveworkers") == 2:
                        break
            except (OSError, ValueError):  # not listening yet, or the UI answering with its HTML page while it starts
                pass
            assert time.time() < deadline, "the standalone cluster did not come up within 90 s"
            time.sleep(1)
        yield url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def adversarial_rows(n=30000, seed=11):
    """Cancelling huge weights beside ordinary pairs: any rounding sum depends on the order."""
    rng = random.Random(seed)
    rows = []
    while len(rows) < n:
        if rng.random() < 0.2:
            w = rng.uniform(1, 2) * 2.0 ** rng.randint(40, 70)
            v = rng.uniform(-1, 1) * 2.0 ** rng.randint(-60, 60)
            rows += [(w, v), (-w, v)]
        else:
            rows.append((rng.uniform(0, 100), rng.gauss(50, 1000)))
    rng.shuffle(rows)
    return rows


def bits(x):
    return struct.pack(">d", x).hex()


def builder(master):
    # the first session of a Python process starts the JVM: it must already carry the jar
    return (SparkSession.builder.master(master).appName("wavg cluster shapes")
            .config("spark.jars", shaded_jar())
            .config("spark.sql.extensions", "io.wavg.spark.WeightedAvgExtensions")
            .config("spark.ui.enabled", "false")
            .config("spark.executor.memory", "512m")
            .config("spark.sql.shuffle.partitions", "3"))


def run(master, path, cores_max=None):
    builder_ = builder(master)
    if cores_max:
        builder_ = builder_.config("spark.cores.max", str(cores_max)).config("spark.executor.cores", "1")
    spark = builder_.getOrCreate()
    try:
        if cores_max:  # wait until every executor has registered (the driver counts as one more)
            deadline = time.time() + 90
            while spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() < cores_max + 1:
                assert time.time() < deadline, f"{cores_max} executors did not register within 90 s"
                time.sleep(0.5)
        results = []
        for reader in ("parquet", "wavg_parquet"):
            spark.read.format(reader).load(path).createOrReplaceTempView("t")
            row = spark.sql("SELECT weighted_avg(v, w), weighted_avg_stats(v, w).total_weight FROM t").first()
            results.append((bits(row[0]), bits(row[1])))
            grouped = spark.sql("SELECT k, weighted_avg(v, w) FROM t GROUP BY k ORDER BY k").collect()
            results.append(tuple(bits(r[1]) for r in grouped))
        return results
    finally:
        spark.stop()


def test_same_bits_on_every_cluster_shape(cluster, tmp_path):
    rows = adversarial_rows()
    keyed = [(i % 5, w, v) for i, (w, v) in enumerate(rows)]
    path = str(tmp_path / "pairs")
    writer = builder("local[2]").getOrCreate()
    writer.createDataFrame(keyed, "k int, w double, v double").repartition(7).write.parquet(path)
    writer.stop()

    total = sum(Fraction(w) for _, w, _ in keyed)
    exact = float(sum(Fraction(w) * Fraction(v) for _, w, v in keyed) / total)
    shapes = {
        "local[1]": run("local[1]", path),
        "local[2]": run("local[2]", path),
        "standalone, 1 executor": run(cluster, path, cores_max=1),
        "standalone, 2 executors": run(cluster, path, cores_max=2),
    }
    expected = shapes["local[1]"]
    assert expected[0][0] == bits(exact)
    assert expected[0][1] == bits(float(total))
    for shape, results in shapes.items():
        assert results == expected, shape
