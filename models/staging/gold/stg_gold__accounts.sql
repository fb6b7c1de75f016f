with

source as (

    select * from {{ source('gold', 'accounts') }}

),

renamed as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        try_cast(signup_date as date) as signup_date,
        lower(trim(cast(plan_tier as {{ dbt.type_string() }}))) as plan_tier,
        upper(trim(cast(country as {{ dbt.type_string() }}))) as country,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as status,
        try_cast(updated_at as timestamp) as updated_at
    from source

)

select * from renamed
