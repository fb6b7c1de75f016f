{#
  Large SQL builds in slices of profiles (ADR 0010), the SQL twin of the Python models' `xengine.run(slices=n)`.
  `row_slices` is how many slices keep each slice's share of `relation`'s rows (those matching `where`) under
  `rows_per_slice` (the dbt var `profile_slice_rows`): 1 on a daily run or a small full build. A model reads
  every input through `row_slice_filter(column, n)`, which renders slice 0's filter with a marker; creating the
  table (`duckdb__create_table_as`, below) then runs the query once per slice, each as its own statement
  appending to the table. Separate statements matter: DuckDB builds every hash table of a query before it
  probes any, so one `union all` of the slices held (and spilled) all slices' hash tables at once.
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

{#- The rows of the slice being built, by `column` (every row when there is one slice). The compiled SQL of a
    sliced model is slice 0's query; the marker tells `duckdb__create_table_as` to append the other slices. -#}
{% macro row_slice_filter(column, slices) %}
  {%- if slices == 1 -%}
    true
  {%- else -%}
    {{ adapter.dispatch('row_slice_filter', 'featurestore')(column, slices) }}
  {%- endif -%}
{% endmacro %}

{% macro default__row_slice_filter(column, slices) -%}
  {{ exceptions.raise_compiler_error('Profile slices are built on DuckDB only; row_slices is 1 on ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__row_slice_filter(column, slices) -%}
  hash({{ column }}) % {{ slices }} = {{ row_slice_marker(0, slices) }}
{%- endmacro %}

{% macro row_slice_marker(index, slices) -%}
  {{ index }} /* profile slice {{ index }} of {{ slices }} */
{%- endmacro %}

{#-
  dbt-duckdb's `create table` (tables, incremental models' first build and temporary relation), plus one
  `insert` per further slice of a query rendered by `row_slice_filter`: each slice's query runs alone, so the
  build's memory and spill are those of one slice. Unsliced SQL and Python models are created as before.
-#}
{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
  {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
  {%- if language == 'sql' -%}
    {%- set marker_pattern = modules.re.escape(row_slice_marker(0, 'SLICES')) | replace('SLICES', '(\d+)') -%}
    {%- set marked = modules.re.search(marker_pattern, compiled_code) -%}
    {%- set slices = marked.group(1) if marked else '1' -%}
    {%- for index in range(1, slices | int) %}
    insert into {{ relation.include(database=(not temporary), schema=(not temporary)) }} by name
      select * from (
        {{ compiled_code | replace(row_slice_marker(0, slices), row_slice_marker(index, slices)) }}
      ) as model_subq;
    {%- endfor -%}
  {%- endif -%}
{%- endmacro %}
