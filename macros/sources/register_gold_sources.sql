{#
  Makes the five Gold tables readable as `source('gold', <table>)` = `<GOLD_SCHEMA>.<table>`.

  On the two local targets the Gold layer is a folder of Parquet files (RAW_DATA_DIR). Every run re-creates
  one relation per table over those files, so new files and a changed RAW_DATA_DIR are always picked up:
  a view over read_parquet on DuckDB, an external parquet table on Spark (dropping it never deletes files).
  On Databricks the tables already exist in Unity Catalog: nothing to do.
#}
{% macro register_gold_sources() %}
  {{ return(adapter.dispatch('register_gold_sources', 'featurestore')()) }}
{% endmacro %}

{% macro default__register_gold_sources() %}
  select 1
{% endmacro %}

{% macro gold_raw_dir() %}
  {{ return(env_var('RAW_DATA_DIR', env_var('PWD', '.') ~ '/data/raw')) }}
{% endmacro %}

{% macro duckdb__register_gold_sources() %}
  {%- if execute -%}
    {%- set schema = env_var('GOLD_SCHEMA', 'gold') -%}
    {% do run_query('create schema if not exists ' ~ schema) %}
    {%- for table in gold_source_tables() -%}
      {%- set files = gold_raw_dir() ~ '/' ~ table ~ '/**/*.parquet' -%}
      {%- set found = run_query("select count(*) from glob('" ~ files ~ "')").columns[0].values()[0] -%}
      {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
          "Gold source table '" ~ table ~ "' has no Parquet files matching " ~ files
          ~ ". Set RAW_DATA_DIR to a folder holding the five Gold tables, or run `featurestore generate`."
        ) }}
      {%- endif -%}
      {% do run_query(
        'create or replace view ' ~ schema ~ '.' ~ table ~ " as select * from read_parquet('" ~ files
        ~ "', union_by_name = true, hive_partitioning = false)"
      ) %}
    {%- endfor -%}
  {%- endif -%}
  select 1
{% endmacro %}

{% macro spark__register_gold_sources() %}
  {%- if execute -%}
    {%- set schema = env_var('GOLD_SCHEMA', 'gold') -%}
    {% do run_query('create schema if not exists ' ~ schema) %}
    {%- for table in gold_source_tables() -%}
      {% do run_query('drop table if exists ' ~ schema ~ '.' ~ table) %}
      {% do run_query(
        'create table ' ~ schema ~ '.' ~ table ~ ' using parquet options ('
        ~ "path '" ~ gold_raw_dir() ~ '/' ~ table ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet')"
      ) %}
    {%- endfor -%}
  {%- endif -%}
  select 1
{% endmacro %}
