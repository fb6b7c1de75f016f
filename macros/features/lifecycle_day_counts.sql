{#
  The lifecycle features that are pure functions of the as-of date and a profile's anchor dates. Derived at read
  time for any date D, so they need no daily row per profile. Expects the anchor columns
  profile_created_date, account_signup_date, first_play_date, last_play_date, last_reactivation_date.
  The one definition of these six features (used by the lifecycle mart and by point-in-time reads).
#}
{% macro lifecycle_day_counts(as_of, relation_alias='') -%}
  {%- set a = relation_alias ~ '.' if relation_alias else '' -%}
        {{ days_between(a ~ 'profile_created_date', as_of) }} as profile_tenure_days,
        {{ days_between(a ~ 'account_signup_date', as_of) }} as account_tenure_days,
        {{ days_between(a ~ 'last_play_date', as_of) }} as days_since_last_play,
        {{ days_between(a ~ 'first_play_date', as_of) }} as days_since_first_play,
        case
            when {{ days_between(a ~ 'profile_created_date', as_of) }} < 14 then 'new'
            when {{ days_between(a ~ 'last_play_date', as_of) }} <= 7 then 'active'
            when {{ days_between(a ~ 'last_play_date', as_of) }} <= 27 then 'at_risk'
            when {{ days_between(a ~ 'last_play_date', as_of) }} <= 89 then 'dormant'
            else 'lapsed'
        end as lifecycle_stage,
        coalesce({{ days_between(a ~ 'last_reactivation_date', as_of) }} <= 6, false) as is_reactivated_7d
{%- endmacro %}
