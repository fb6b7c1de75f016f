{#
  dbt's hook for a data test's `where` config, extended with one named scope, `__rows_written_by_this_run__`
  (set in dbt_project.yml for the tests of staging and of the intermediate models, where the profile-day,
  title-day and device-day aggregates carry a `run_id`): on a relation with a `run_id` column, test only the
  rows this invocation wrote (all of them on a first build or --full-refresh, the re-processed dates on a daily
  run), or every row when this invocation wrote none (a `dbt test` on its own). So a daily run re-checks the
  days it touched instead of the whole event history. Relations without `run_id` are tested whole.
  And a second, `__feature_dates_rebuilt_by_this_run__` (the tests of the category marts and of
  int_profile_feature_dates), for relations keyed by `feature_date`: see `feature_dates_rebuilt_by_this_run`;
  and a third, `__feature_dates_published_by_this_run__` (the published log's grain test): see
  `feature_dates_published_by_this_run`. Any other `where` behaves exactly as in dbt.
#}
{% macro default__get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- if where == '__rows_written_by_this_run__' -%}
    {%- set where = rows_written_by_this_run(relation) -%}
  {%- elif where == '__feature_dates_rebuilt_by_this_run__' -%}
    {%- set where = feature_dates_rebuilt_by_this_run(relation) -%}
  {%- elif where == '__feature_dates_published_by_this_run__' -%}
    {%- set where = feature_dates_published_by_this_run() -%}
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

{#
  The feature dates a `dbt build` may have rewritten in an incremental model keyed by `feature_date`: from the
  published log's newest date minus lookback_days on. Every such model is built before the log is published,
  from its own newest date minus lookback_days, and the log never runs ahead of them, so this cutoff is at or
  before each model's own: the scope covers all rows the run rewrote (after a refused publish, a few more).
  Every row on anything but `dbt build` (a `dbt test` on its own re-checks the whole history), on
  --full-refresh, before the first publish, and on relations without a `feature_date` column.
#}
{% macro feature_dates_rebuilt_by_this_run(relation) -%}
  {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH -%}{{ return('') }}{%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- if 'feature_date' not in columns -%}{{ return('') }}{%- endif -%}
  {%- set node = published_model_node() -%}
  {%- set published = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)
      if node is not none else none -%}
  {%- set cutoff = incremental_cutoff_date(published, 'feature_date') if published is not none else none -%}
  {{ return('' if cutoff is none else 'feature_date >= ' ~ cutoff) }}
{%- endmacro %}

{#
  The feature dates the publish of a `dbt build` replaced in profile_features: from the candidate's first date on
  (it writes exactly the candidate's rows, replacing their dates, and leaves older dates as earlier runs
  checked them). Tests run after their model, so the candidate is this build's. Every row on anything but
  `dbt build`, on --full-refresh, and before there is a candidate.
#}
{% macro feature_dates_published_by_this_run() -%}
  {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH -%}{{ return('') }}{%- endif -%}
  {%- set candidate = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
      | selectattr('package_name', 'equalto', project_name)
      | selectattr('name', 'equalto', 'profile_features_candidate') | first -%}
  {%- set relation = adapter.get_relation(database=candidate.database, schema=candidate.schema,
                                          identifier=candidate.alias) -%}
  {%- set first = first_date_in(relation) if relation is not none else none -%}
  {{ return('' if first is none else 'feature_date >= ' ~ first) }}
{%- endmacro %}
