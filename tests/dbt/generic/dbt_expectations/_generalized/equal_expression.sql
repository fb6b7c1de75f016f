{#-
    dbt-expectations `equal_expression` (macros/schema_tests/_generalized/equal_expression.sql):
    compares `expression` on `model` with `compare_expression` on `compare_model` (each defaulting to the
    first), overall or per group (`group_by` / `compare_group_by`, matched by position, full outer join);
    fails for every group whose absolute difference is above `tolerance`, or, when `tolerance_percent` is
    set, whose difference relative to `expression` is above it.

    The package's `get_select()` macro (one select per side) is inlined as the loop over `sides`: files
    under a test-path's generic/ folder may only hold `test` blocks.
-#}
{% test equal_expression(model, expression,
                         compare_model=None,
                         compare_expression=None,
                         group_by=None,
                         compare_group_by=None,
                         row_condition=None,
                         compare_row_condition=None,
                         tolerance=0.0,
                         tolerance_percent=None
                         ) -%}

    {%- set compare_model = model if not compare_model else compare_model -%}
    {%- set compare_expression = expression if not compare_expression else compare_expression -%}
    {%- set compare_row_condition = row_condition if not compare_row_condition else compare_row_condition -%}
    {%- set compare_group_by = group_by if not compare_group_by else compare_group_by -%}

    {%- set n_cols = (group_by|length) if group_by else 0 %}
    {%- set sides = [
        ("a", model, expression, row_condition, group_by),
        ("b", compare_model, compare_expression, compare_row_condition, compare_group_by),
    ] %}
    with
    {% for side, side_model, side_expression, side_row_condition, side_group_by in sides -%}
    {{ side }} as (
        select
            {% if side_group_by %}
            {% for g in side_group_by -%}
                {{ g }} as col_{{ loop.index }},
            {% endfor -%}
            {% endif %}
            {{ side_expression }} as expression
        from
            {{ side_model }}
        {%- if side_row_condition %}
        where
            {{ side_row_condition }}
        {% endif %}
        {% if side_group_by %}
        group by
            {% for g in side_group_by -%}
                {{ g }}{% if not loop.last %},{% endif %}
            {% endfor %}
        {% endif %}
    ),
    {% endfor -%}
    final as (

        select
            {% for i in range(1, n_cols + 1) -%}
            coalesce(a.col_{{ i }}, b.col_{{ i }}) as col_{{ i }},
            {% endfor %}
            a.expression,
            b.expression as compare_expression,
            abs(coalesce(a.expression, 0) - coalesce(b.expression, 0)) as expression_difference,
            abs(coalesce(a.expression, 0) - coalesce(b.expression, 0))/
                nullif(a.expression * 1.0, 0) as expression_difference_percent
        from
        {% if n_cols > 0 %}
            a
            full outer join
            b on
            {% for i in range(1, n_cols + 1) -%}
                a.col_{{ i }} = b.col_{{ i }} {% if not loop.last %}and{% endif %}
            {% endfor -%}
        {% else %}
            a cross join b
        {% endif %}
    )
    select
        *
    from final
    where
        {% if tolerance_percent %}
        expression_difference_percent > {{ tolerance_percent }}
        {% else %}
        expression_difference > {{ tolerance }}
        {% endif %}
{%- endtest %}
