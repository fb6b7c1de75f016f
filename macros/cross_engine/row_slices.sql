{#
  Large SQL builds in slices of profiles (ADR 0010), the SQL twin of the Python models' `xengine.run(slices=n)`.
  `row_slices` is how many slices keep each slice's share of `relation`'s rows (those matching `where`) under
  `rows_per_slice` (the dbt var `profile_slice_rows`): 1 on a daily run or a small full build. A model then
  unions one copy of its query per slice, every input read through `row_slice_filter`; DuckDB runs the branches
  of a `union all` one after another, so its hash tables (and spill) are those of one slice at a time.
  Always 1 on Spark and Databricks, which partition the work themselves.
#}
{% macro row_slices(relation, where, rows_per_slice) %}
  {{ return(adapter.dispatch('row_slices', 'featurestore')(relation, where, rows_per_slice)) }}
{% endmacro %}

{% macro default__row_slices(relation, where, rows_per_slice) %}
  {{ return(1) }}
{% endmacro %}

{% macro duckdb__row_slices(relation, where, rows_per_slice) %}
  {#- Not built yet (parsing, linting, `dbt compile` of an empty warehouse): nothing to slice. -#}
  {%- if not execute or load_relation(relation) is none -%}{{ return(1) }}{%- endif -%}
  {%- set rows = run_query('select count(*) from ' ~ relation ~ ' where ' ~ where).columns[0].values()[0] -%}
  {%- set per_slice = [rows_per_slice | int, 1] | max -%}
  {{ return([((rows + per_slice - 1) // per_slice) | int, 1] | max) }}
{% endmacro %}

{#- The rows of slice `index` of `slices` by `column` (every row when there is one slice). -#}
{% macro row_slice_filter(column, slices, index) %}
  {%- if slices == 1 -%}
    true
  {%- else -%}
    {{ adapter.dispatch('row_slice_filter', 'featurestore')(column, slices, index) }}
  {%- endif -%}
{% endmacro %}

{% macro default__row_slice_filter(column, slices, index) -%}
  pmod(hash({{ column }}), {{ slices }}) = {{ index }}
{%- endmacro %}

{% macro duckdb__row_slice_filter(column, slices, index) -%}
  hash({{ column }}) % {{ slices }} = {{ index }}
{%- endmacro %}

{#- The model's output from its per-slice CTEs `<prefix>_0` .. `<prefix>_<slices - 1>`: their `union all`. -#}
{% macro union_all_slices(prefix, slices) -%}
  {%- for slice in range(slices) -%}
    {%- if not loop.first %}
    union all
    {% endif -%}
    select * from {{ prefix }}_{{ slice }}
  {%- endfor -%}
{%- endmacro %}
