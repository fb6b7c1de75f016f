-- Account plan states with their start; read through `plan_tier_as_of` for the plan valid on a date.
with

plan_history as (

    {{ account_plan_history() }}

)

select * from plan_history
