{#- The smallest `date_column` of `relation` as a SQL date literal (none when empty or not built yet). -#}
{% macro first_date_in(relation, date_column='feature_date') %}
  {%- set existing = load_relation(relation) if execute else none -%}
  {%- if existing is none -%}{{ return(none) }}{%- endif -%}
  {%- set first = run_query('select min(' ~ date_column ~ ') from ' ~ existing).columns[0].values()[0] -%}
  {{ return(none if first is none else "cast('" ~ (first | string)[:10] ~ "' as date)") }}
{% endmacro %}
