"""PySpark users' view: the jar that `mvn package` builds, added with --jars, and the extension
registered through spark.sql.extensions, exactly as the README shows."""
import glob
import os
from fractions import Fraction

import pytest

pyspark = pytest.importorskip("pyspark")
from pyspark.sql import SparkSession, functions as F  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def shaded_jar():
    jars = [j for j in glob.glob(os.path.join(ROOT, "target", "spark-weighted-avg-*.jar"))
            if not os.path.basename(j).startswith("original-")]
    assert jars, "run `mvn package` first: no jar in target/"
    return jars[0]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    session = (SparkSession.builder.master("local[2]")
               .config("spark.jars", shaded_jar())
               .config("spark.sql.extensions", "io.wavg.spark.WeightedAvgExtensions")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    yield session
    session.stop()


def exact(pairs):
    total = sum(Fraction(w) for w, v in pairs)
    return float(sum(Fraction(w) * Fraction(v) for w, v in pairs) / total)


def test_example_through_sql_expr_and_call_function(spark, tmp_path):
    path = str(tmp_path / "example")
    spark.createDataFrame([(10.0, 2.0), (20.0, 1.0)], "weight double, value double") \
        .write.parquet(path)
    df = spark.read.parquet(path)
    df.createOrReplaceTempView("example")
    assert spark.sql("SELECT weighted_avg(value, weight) FROM example").first()[0] == 1.3333333333333333
    assert df.agg(F.expr("weighted_avg(value, weight)")).first()[0] == 1.3333333333333333
    row = df.agg(F.call_function("weighted_avg_stats", F.col("value"), F.col("weight"))).first()[0]
    assert (row.weighted_avg, row.total_weight, row.pairs) == (1.3333333333333333, 30.0, 2)


def test_group_by_matches_exact_fractions(spark, tmp_path):
    rows = [(k % 5, (-1) ** k * 10.0 ** (k % 7 - 3) * (k + 1), k * 0.1 - 3.0) for k in range(500)]
    path = str(tmp_path / "grouped")
    spark.createDataFrame(rows, "key int, weight double, value double").repartition(3).write.parquet(path)
    got = {r.key: r.avg for r in spark.read.parquet(path).groupBy("key")
           .agg(F.call_function("weighted_avg", F.col("value"), F.col("weight")).alias("avg")).collect()}
    for key in range(5):
        pairs = [(w, v) for k, w, v in rows if k == key]
        assert got[key] == exact(pairs), key


def test_cancellation_where_naive_sums_fail(spark):
    df = spark.createDataFrame([(1e16, 1.0), (1.0, 1.0), (-1e16, 1.0)], "weight double, value double")
    assert df.agg(F.expr("weighted_avg(value, weight)")).first()[0] == 1.0
    # in double arithmetic the weights sum to 0, so Spark's own formula has nothing to divide by
    naive = df.agg(F.expr("try_divide(sum(value * weight), sum(weight))")).first()[0]
    assert naive is None


def test_bad_argument_is_reported_by_name(spark):
    df = spark.createDataFrame([("a", 1.0)], "label string, weight double")
    with pytest.raises(Exception) as error:
        df.agg(F.expr("weighted_avg(label, weight)")).collect()
    assert "weighted_avg" in str(error.value) and "label" in str(error.value)


def test_pushed_global_result_is_collected_in_the_scans_job(spark, tmp_path):
    rows = [((-1) ** k * 2.0 ** (k % 9 - 4) * (k + 1), k * 0.25 - 7.0) for k in range(3000)]
    path = str(tmp_path / "pushed")
    spark.createDataFrame(rows, "weight double, value double").repartition(3).write.parquet(path)
    df = spark.read.format("wavg_parquet").load(path).agg(F.expr("weighted_avg(value, weight)"))
    spark.sparkContext.setJobGroup("pushed-collect", "counting jobs")
    try:
        got = df.collect()[0][0]
        # the per-task states are merged on the driver: no shuffle, no second job
        assert len(spark.sparkContext.statusTracker().getJobIdsForGroup("pushed-collect")) == 1
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert got == exact(rows)
