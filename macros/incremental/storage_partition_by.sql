{#
  Physical partitioning of date-keyed incremental models. Spark and Databricks overwrite whole partitions,
  so the partition column is required there; DuckDB tables have no partitions (delete+insert on the key instead),
  and dbt-duckdb warns on every run if it is given one.
#}
{% macro storage_partition_by(columns) %}
  {{ return(adapter.dispatch('storage_partition_by', 'featurestore')(columns)) }}
{% endmacro %}

{% macro default__storage_partition_by(columns) %}
  {{ return(columns) }}
{% endmacro %}

{% macro duckdb__storage_partition_by(columns) %}
  {{ return(none) }}
{% endmacro %}
