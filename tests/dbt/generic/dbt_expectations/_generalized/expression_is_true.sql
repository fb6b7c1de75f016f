{#-
    dbt-expectations `expression_is_true` (macros/schema_tests/_generalized/expression_is_true.sql):
    one row per row (or per group, with `group_by_columns`) where `expression {{ test_condition }}` is not true.
    A NULL expression is not a failure (`not (null = true)` is NULL), exactly as in the package.

    The package splits this into a `test` block, a macro and a dispatched `default__` macro, and
    `truth_expression()` for the alias. Files under a test-path's generic/ folder may only hold
    `test` blocks, so the macro body lives here; other tests call it as `test_expression_is_true(...)`.
-#}
{% test expression_is_true(model,
                           expression,
                           test_condition="= true",
                           group_by_columns=None,
                           row_condition=None
                           ) %}

with grouped_expression as (
    select
        {% if group_by_columns %}
        {% for group_by_column in group_by_columns -%}
        {{ group_by_column }} as col_{{ loop.index }},
        {% endfor -%}
        {% endif %}
        {{ expression }} as expression
    from {{ model }}
    {%- if row_condition %}
    where
        {{ row_condition }}
    {% endif %}
    {% if group_by_columns %}
    group by
    {% for group_by_column in group_by_columns -%}
        {{ group_by_column }}{% if not loop.last %},{% endif %}
    {% endfor %}
    {% endif %}

),
validation_errors as (

    select
        *
    from
        grouped_expression
    where
        not(expression {{ test_condition }})

)

select *
from validation_errors

{% endtest %}
