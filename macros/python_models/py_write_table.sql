{#
  Writes a Python model's DataFrame. dbt-spark's stock writer ignores `partition_by`, so an incremental Python
  model with insert_overwrite fails on its second run; this writer partitions the table. `py_write_table` is a
  global (not dispatched) macro that dbt-duckdb also defines with another signature: this one accepts both
  adapters' arguments and hands DuckDB back to its own implementation. dbt-databricks calls
  `databricks__py_write_table` directly and is unaffected.
#}
{% macro py_write_table(compiled_code, target_relation=none, temporary=none, relation=none, partitioned_by=none, sorted_by=none) %}
{%- if target.type == 'duckdb' -%}
{{ dbt.py_write_table(temporary=temporary, relation=relation, compiled_code=compiled_code, partitioned_by=partitioned_by, sorted_by=sorted_by) }}
{%- else -%}
{%- set partition_by = config.get('partition_by') -%}
{%- if partition_by is string -%}{%- set partition_by = [partition_by] -%}{%- endif %}
{{ compiled_code }}
dbt = dbtObj(spark.table)
df = model(dbt, spark)
import pyspark.sql
if not isinstance(df, pyspark.sql.DataFrame):
    df = spark.createDataFrame(df)
writer = df.write.mode("overwrite").option("overwriteSchema", "true").format("{{ config.get('file_format', 'parquet') }}")
{%- if partition_by %}
writer = writer.partitionBy(*{{ partition_by | tojson }})
{%- endif %}
writer.saveAsTable("{{ target_relation }}")
{%- endif %}
{% endmacro %}
