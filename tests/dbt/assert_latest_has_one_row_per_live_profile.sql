-- profile_features_latest holds exactly the profiles live on the newest published feature date, once each.
with

latest as (

    select
        profile_id,
        feature_date
    from {{ ref('profile_features_latest') }}

),

newest as (

    select max(feature_date) as feature_date from {{ ref('profile_features') }}

),

live as (

    select profiles.profile_id
    from {{ ref('stg_gold__profiles') }} as profiles
    cross join newest
    where
        profiles.created_date <= newest.feature_date
        and (profiles.deleted_date is null or profiles.deleted_date > newest.feature_date)

),

problems as (

    select coalesce(live.profile_id, latest.profile_id) as profile_id
    from live
    full outer join latest
        on live.profile_id = latest.profile_id
    where live.profile_id is null or latest.profile_id is null

    union all

    select profile_id
    from latest
    group by profile_id
    having count(*) > 1

)

select * from problems
