with

source as (

    select * from {{ source('gold', 'profiles') }}

),

renamed as (

    select
        cast(profile_id as {{ dbt.type_string() }}) as profile_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        coalesce(try_cast(is_kids as boolean), false) as is_kids,
        try_cast(created_at as timestamp) as created_at,
        try_cast(deleted_at as timestamp) as deleted_at,
        cast(try_cast(created_at as timestamp) as date) as created_date,
        cast(try_cast(deleted_at as timestamp) as date) as deleted_date
    from source

)

select * from renamed
