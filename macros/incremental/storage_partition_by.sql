{#
  Physical partitioning of date-keyed incremental models. Local Spark overwrites whole partitions, so the
  partition column is required there; DuckDB tables have no partitions (delete+insert on the key instead), and
  dbt-duckdb warns on every run if it is given one; Databricks clusters the tables instead (liquid clustering,
  dbt_project.yml) and replaces dates with delete+insert on the key, as DuckDB does.
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

{#- Databricks: liquid clustering instead of Hive-style partitions (dbt_project.yml; the two cannot be combined). -#}
{% macro databricks__storage_partition_by(columns) %}
  {{ return(none) }}
{% endmacro %}
