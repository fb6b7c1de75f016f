"""The one line a failed Spark sync prints, from the text of Spark's error (no Spark needed)."""

from __future__ import annotations

from featurestore.online.spark_sync import PARTITION_FAILED, partition_failure

WORKER_TRACEBACK = """An exception was thrown from the Python worker. Please see the stack trace below.
Traceback (most recent call last):
  File "/x/pyspark/worker.py", line 4207, in invoke_udf
    func, profiler, deserializer, serializer = read_udfs(
  File "/x/pyspark/serializers.py", line 483, in loads
    return cloudpickle.loads(obj, encoding=encoding)
ModuleNotFoundError: No module named 'featurestore'
 SQLSTATE: 38000)"""


def test_a_partition_that_failed_on_redis_shows_the_partition_s_own_line() -> None:
    line = "Redis at redis://:***@cache:6379/0 is full after this partition sent 512 profiles: OOM command not allowed"
    text = f"org.apache.spark.SparkException: Job aborted\nTraceback ...\nRuntimeError: {PARTITION_FAILED}{line}\n at x"

    assert partition_failure(text, "redis://:***@cache:6379/0") == line


def test_any_other_worker_failure_shows_its_innermost_exception_and_the_fix() -> None:
    message = partition_failure(WORKER_TRACEBACK, "redis://cache:6379/0")

    assert "\n" not in message
    assert "ModuleNotFoundError: No module named 'featurestore'" in message
    assert "meta.feature_date was not moved" in message and "wheel" in message
