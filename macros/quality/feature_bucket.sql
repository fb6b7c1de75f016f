{#
  Bucket of a feature value for distribution comparisons (PSI) and top-category lists. Categorical features
  (strings, booleans) bucket by value; numbers by powers of two of 100 x value, so shares in [0, 1] and minutes
  in the thousands both get a handful of meaningful buckets, identical on every engine. NULL is its own bucket.
#}
{% macro feature_bucket(column, data_type) -%}
  {%- if data_type in ('string', 'boolean') -%}
    {{ feature_bucket_key(column, data_type) }}
  {%- else -%}
    case {{ feature_bucket_key(column, data_type) }}
        when -2 then '(null)'
        when -1 then 'negative'
        else cast({{ feature_bucket_key(column, data_type) }} as {{ dbt.type_string() }})
    end
  {%- endif -%}
{%- endmacro %}

{#-
  What `feature_bucket` is a label of, to group by: the label itself for categorical features; for numbers an
  integer (-2 NULL, -1 negative, else the power of two), labelled once per group instead of once per row (at
  1,000,000 profiles, 4 billion strings fewer per full build).
-#}
{% macro feature_bucket_key(column, data_type) -%}
  {%- if data_type in ('string', 'boolean') -%}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '(null)')
  {%- else -%}
    case
        when {{ column }} is null then -2
        when {{ column }} < 0 then -1
        else cast(floor(ln(1 + 100 * cast({{ column }} as double)) / ln(2)) as int)
    end
  {%- endif -%}
{%- endmacro %}

{#- A feature value as a double for numeric statistics (booleans as 0/1); null for strings. -#}
{% macro feature_numeric_value(column, data_type) -%}
  {%- if data_type == 'string' -%}
    cast(null as double)
  {%- elif data_type == 'boolean' -%}
    cast(case when {{ column }} then 1 when not {{ column }} then 0 end as double)
  {%- else -%}
    cast({{ column }} as double)
  {%- endif -%}
{%- endmacro %}
