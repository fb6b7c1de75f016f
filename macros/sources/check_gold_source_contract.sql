{#
  Stops the run before any model when a Gold table breaks the v1 column contract, with a message that names
  the table and the column. The expected columns are the ones declared in _gold__sources.yml; extra columns
  are allowed (and ignored by staging).
#}
{% macro check_gold_source_contract() %}
  {%- if execute and flags.WHICH in ('run', 'build', 'test', 'seed', 'snapshot') -%}
    {%- for node in graph.sources.values() if node.source_name == 'gold' -%}
      {%- set relation = source('gold', node.name) -%}
      {%- set present = run_query('select * from ' ~ relation ~ ' where 1 = 0').column_names | map('lower') | list -%}
      {%- for column in node.columns.values() if column.name | lower not in present -%}
        {{ exceptions.raise_compiler_error(
          "Gold source table '" ~ node.name ~ "' is missing required column '" ~ column.name
          ~ "' (" ~ column.data_type ~ "). Columns found: " ~ present | join(', ')
          ~ ". Fix the files under RAW_DATA_DIR/" ~ node.name ~ " (or the table " ~ relation
          ~ "); the v1 source contract is in the README."
        ) }}
      {%- endfor -%}
    {%- endfor -%}
  {%- endif -%}
  select 1
{% endmacro %}
