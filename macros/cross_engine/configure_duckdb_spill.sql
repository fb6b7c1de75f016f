{#
  Where DuckDB spills when a build needs more than `memory_limit`: DUCKDB_TEMP_DIR when set, else DuckDB's
  default, `<DUCKDB_PATH>.tmp` beside the warehouse. Run once at the start of every invocation (on-run-start),
  before anything can spill, and only when it would change the setting: DuckDB refuses to move a temporary
  directory it has already used, even to the same path. A no-op on other engines.
#}
{% macro configure_duckdb_spill() %}
  {{ return(adapter.dispatch('configure_duckdb_spill', 'featurestore')()) }}
{% endmacro %}

{% macro default__configure_duckdb_spill() %}
  select 1
{% endmacro %}

{% macro duckdb__configure_duckdb_spill() %}
  {%- set wanted = env_var('DUCKDB_TEMP_DIR', '') -%}
  {%- if execute and wanted -%}
    {%- set current = run_query("select current_setting('temp_directory')").columns[0].values()[0] -%}
    {%- if current != wanted -%}
      {% do run_query("set temp_directory = '" ~ wanted | replace("'", "''") ~ "'") %}
    {%- endif -%}
  {%- endif -%}
  select 1
{% endmacro %}
