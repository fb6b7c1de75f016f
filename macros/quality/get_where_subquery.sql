{#
  dbt's hook for a data test's `where` config, extended with one named scope, `__rows_written_by_this_run__`
  (set for the staging tests in dbt_project.yml): on a relation with a `run_id` column, test only the rows this
  invocation wrote (all of them on a first build or --full-refresh, the re-processed dates on a daily run), or
  every row when this invocation wrote none (a `dbt test` on its own). So a daily run re-checks the days it
  touched instead of the whole event history. Relations without `run_id` are tested whole. Any other `where`
  behaves exactly as in dbt.
#}
{% macro default__get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- if where == '__rows_written_by_this_run__' -%}
    {%- set where = rows_written_by_this_run(relation) -%}
  {%- endif -%}
  {%- if where -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
  {%- endif -%}
  {%- do return(relation) -%}
{%- endmacro %}

{% macro rows_written_by_this_run(relation) -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- if 'run_id' not in columns -%}{{ return('') }}{%- endif -%}
  {%- set this_run = "run_id = '" ~ invocation_id ~ "'" -%}
  {{ return('(' ~ this_run ~ ' or not exists (select 1 from ' ~ relation ~ ' where ' ~ this_run ~ '))') }}
{%- endmacro %}
