{{ config(materialized='view') }}

{#-
  Every live profile with its features as of the newest built feature date. A view over the feature log, so a
  daily run rewrites nothing here; the `profile_features_as_of` macro gives the same for any other date.
-#}
{{ profile_features_as_of('(select max(feature_date) from ' ~ ref('profile_features') ~ ')') }}
