{#- featurestore extension, NOT part of dbt-expectations. It lives outside generic/dbt_expectations/ so
    that folder can be swapped for the real package, and it is self-contained (it calls none of that
    folder's helpers) so it keeps working after the swap. Same argument names, defaults and failure rows
    as the package's *_to_be_between tests (expression_between over expression_is_true).

    Fails when the share of non-NULL values of the column, count(column) / count(*), among the rows matching
    row_condition, is outside [min_value, max_value] (open bounds with strictly=true); either bound may be
    omitted, not both. No rows at all counts as a proportion of 1 (nothing is missing), as the package's
    expect_column_proportion_of_unique_values_to_be_between does for an empty column.
    Returns one row (the proportion, as `expression`) when it fails, none when it passes. -#}
{% test expect_column_proportion_of_non_null_values_to_be_between(model, column_name,
                                                                   min_value=None,
                                                                   max_value=None,
                                                                   row_condition=None,
                                                                   strictly=False
                                                                   ) %}

{%- if min_value is none and max_value is none -%}
{{ exceptions.raise_compiler_error(
    "You have to provide either a min_value, max_value or both."
) }}
{%- endif -%}

{%- set strict_operator = "" if strictly else "=" -%}

with grouped_expression as (
    select
        case
            when count(*) = 0 then 1.0
            else cast(count({{ column_name }}) as double) / count(*)
        end as expression
    from {{ model }}
    {%- if row_condition %}
    where
        {{ row_condition }}
    {% endif %}
),
validation_errors as (
    select
        *
    from
        grouped_expression
    where
        not(( 1=1
        {%- if min_value is not none %} and expression >{{ strict_operator }} {{ min_value }}{% endif %}
        {%- if max_value is not none %} and expression <{{ strict_operator }} {{ max_value }}{% endif %}
        ) = true)
)

select *
from validation_errors

{% endtest %}
