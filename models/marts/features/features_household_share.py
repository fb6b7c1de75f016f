"""Household-share features: how a profile's last 28 days compare with the other live profiles of its account.

Written once in the PySpark DataFrame API (Spark natively, DuckDB through SQLFrame; see featurestore.xengine).
"Household" = the profiles of the account live on the feature date D; "others" = the household without the
profile. Incremental on feature_date: only the change set's dates from the cutoff on are rebuilt.

Cost grows with rows, not rows x window length (ADR 0008, with measurements): no feature date is joined to its
window's days.
- Per profile, the 28-day watch seconds (in total and per genre), the days played and the titles played are
  running sums of signed changes: a day's activity enters on its date and leaves 28 days later; a title enters
  on the first play of a run of plays less than 28 days apart and leaves 28 days after the run's last play.
- Each (account, D) to build gets one row per profile live on D with that profile's running totals as of D,
  and one row with the household's title count, so household sums, the household maximum and the others'
  genre vector are window aggregates over those rows partitioned by account and D (each input read once).
- Titles and days need set sizes across members. Per (account, title) and (account, day), the live members
  holding it are a running sum of the members' enter/leave changes, each re-dated into the member's live
  interval (created_date .. deleted_date), so membership changes take effect on their dates. A running sum
  of member indexes names the holder while there is exactly one: the profile's shared titles (days) are the
  ones it holds minus the ones it holds alone, and the household's titles are those with at least one holder.
With a cutoff, every change due before it is dated the day before it: history collapses into opening balances.
"""

from featurestore import xengine

GENRES = ("action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi")
WINDOW_DAYS = 28
EPOCH = "1970-01-01"
MEMBER_TOTALS = ("seconds", "days_held", "titles_held", "days_alone", "titles_alone")


def genre_columns(genres):
    """Pivoted per-genre seconds, NULL genre first; numbered so any genre string makes a valid column name."""
    buckets = (None, *sorted(set(genres)))
    return {genre: f"genre_{index}_seconds" for index, genre in enumerate(buckets)}


def is_genre(F, genre):
    return F.col("genre").isNull() if genre is None else F.col("genre") == F.lit(genre)


def day_index(F, day):
    # Spark refuses a RANGE frame over a DATE ordering: order by an integer day number.
    return F.datediff(day, F.lit(EPOCH).cast("date"))


def dated(F, frame, cutoff, last_feature_date):
    """Changes due before the cutoff are dated the day before it (the opening balance); changes due after
    the last feature date can change no feature and are dropped."""
    if cutoff is not None:
        frame = frame.withColumn("day", F.greatest(F.col("day"), F.date_sub(F.lit(cutoff).cast("date"), 1)))
    columns = frame.columns
    in_range = F.col("day") <= F.col("last_feature_date")
    return frame.crossJoin(last_feature_date).where(in_range).select(*columns)


def live_members(F, feature_dates, profiles):
    """(profile_id, account_id, day) for each (account, feature date) to build and each profile live then."""
    requests = feature_dates.select("account_id", "feature_date").distinct().alias("r")
    live = F.col("p.created_date") <= F.col("r.feature_date")
    not_deleted = F.col("p.deleted_date").isNull() | (F.col("p.deleted_date") > F.col("r.feature_date"))
    return (
        requests.join(profiles.alias("p"), F.col("r.account_id") == F.col("p.account_id"), how="inner")
        .where(live & not_deleted)
        .select(
            F.col("p.profile_id").alias("profile_id"),
            F.col("r.account_id").alias("account_id"),
            F.col("r.feature_date").alias("day"),
        )
    )


def played_days(F, titles, genres):
    """One row per profile and day played: its watch seconds, in total and per genre."""
    def seconds_of(genre):
        return F.when(is_genre(F, genre), F.col("watch_seconds")).otherwise(F.lit(0))

    return titles.groupBy("profile_id", "event_date").agg(
        F.sum(F.col("watch_seconds")).cast("bigint").alias("seconds"),
        *[F.sum(seconds_of(genre)).cast("bigint").alias(name) for genre, name in genres.items()],
    )


def title_runs(F, W, titles):
    """Per profile and title, when the title enters its 28-day set (+1) and leaves it (-1).

    A title is in the set on D iff its latest play on or before D is on or after D - 27, so a run of plays
    less than 28 days apart holds it from the first play to 28 days after the last: one +1 and one -1."""
    # Not made distinct: the title-days have one row per profile, title and day (a data test of theirs).
    plays = titles.select("profile_id", "content_id", "event_date")
    by_play = W.partitionBy("profile_id", "content_id").orderBy(F.col("event_date"))
    gaps = plays.select(
        "profile_id",
        "content_id",
        "event_date",
        F.lag(F.col("event_date")).over(by_play).alias("previous_play"),
        F.lead(F.col("event_date")).over(by_play).alias("next_play"),
    )
    run_starts = F.col("previous_play").isNull() | (
        F.datediff(F.col("event_date"), F.col("previous_play")) >= WINDOW_DAYS
    )
    run_ends = F.col("next_play").isNull() | (
        F.datediff(F.col("next_play"), F.col("event_date")) >= WINDOW_DAYS
    )
    starts = gaps.where(run_starts).select(
        "profile_id", "content_id", F.col("event_date").alias("day"), F.lit(1).alias("change")
    )
    ends = gaps.where(run_ends).select(
        "profile_id",
        "content_id",
        F.date_add(F.col("event_date"), WINDOW_DAYS).alias("day"),
        F.lit(-1).alias("change"),
    )
    return starts.unionAll(ends)


def day_runs(F, days):
    """Per profile and day played: the day is in the 28-day window from itself to 27 days later."""
    item = F.col("event_date").cast("string").alias("item")
    enters = days.select("profile_id", item, F.col("event_date").alias("day"), F.lit(1).alias("change"))
    leaving_day = F.date_add(F.col("event_date"), WINDOW_DAYS).alias("day")
    leaves = days.select("profile_id", item, leaving_day, F.lit(-1).alias("change"))
    return enters.unionAll(leaves)


def member_indexes(F, W, profiles):
    """Profiles that are ever live, numbered 1.. within their account, with their live interval."""
    by_account = W.partitionBy("account_id").orderBy(F.col("profile_id"))
    return profiles.where(F.col("created_date").isNotNull()).select(
        "profile_id",
        "account_id",
        "created_date",
        "deleted_date",
        F.row_number().over(by_account).alias("member_index"),
    )


def holders(F, W, items, members, cutoff, last_feature_date):
    """Per (account, kind, item), from each day its holders change to the next (next_day): how many live
    members hold it (holders) and the sum of their member indexes (index_sum: the holder's when holders = 1).
    """
    within_life = F.greatest(F.col("i.day"), F.col("m.created_date"))
    clamped = F.when(F.col("m.deleted_date").isNull(), within_life).otherwise(
        F.least(within_life, F.col("m.deleted_date"))
    )
    on_member = F.col("i.profile_id") == F.col("m.profile_id")
    changes = items.alias("i").join(members.alias("m"), on_member, how="inner").select(
        F.col("m.account_id").alias("account_id"),
        F.col("i.kind").alias("kind"),
        F.col("i.item").alias("item"),
        # Outside the live interval a member holds nothing: its changes take effect on the day it becomes
        # live and all cancel on the day it is deleted.
        clamped.alias("day"),
        F.col("i.change").alias("change"),
        (F.col("i.change") * F.col("m.member_index")).alias("index_change"),
    )
    item_key = ["account_id", "kind", "item"]
    per_change = dated(F, changes, cutoff, last_feature_date)
    per_change = per_change.withColumn("day_index", day_index(F, F.col("day")))
    by_day = W.partitionBy(*item_key).orderBy(F.col("day_index"))
    up_to_the_day = by_day.rangeBetween(W.unboundedPreceding, W.currentRow)
    # Not grouped per day first (few changes share an item and day): the RANGE frame gives each change its
    # day's totals, and the day's last change in the order (the next row is a later day, or none) stands for
    # the day.
    return per_change.select(
        *item_key,
        "day",
        F.sum(F.col("change")).over(up_to_the_day).alias("holders"),
        F.sum(F.col("index_change")).over(up_to_the_day).alias("index_sum"),
        F.lead(F.col("day")).over(by_day).alias("next_day"),
    ).where(F.col("next_day").isNull() | (F.col("next_day") > F.col("day")))


def span_changes(F, spans, *columns):
    """+1 on a span's first day and -1 on the day after it (none when it runs past the last feature date)."""
    enters = spans.select(*columns, "day", F.lit(1).alias("change"))
    leaves = spans.where(F.col("next_day").isNotNull()).select(
        *columns, F.col("next_day").alias("day"), F.lit(-1).alias("change")
    )
    return enters.unionAll(leaves)


def summed_per_day(F, changes, cutoff, last_feature_date, **sums):
    """Per profile and day (dated), each of `sums` (name -> column of `changes`) summed: per-title changes
    reach the member timeline's wide group-by (16 columns, mostly zeros) as one row per profile, day and kind
    of change, not one per title, and the history as one opening row (ADR 0008, last addendum)."""
    return dated(F, changes, cutoff, last_feature_date).groupBy("profile_id", "day").agg(
        *[F.sum(column).cast("bigint").alias(name) for name, column in sums.items()]
    )


def member_timeline(F, members_live, activity, title_changes, alone, genres, cutoff, last_feature_date):
    """Every change to a profile's totals, and one row per day it is a live member of a household to build."""

    totals = [*MEMBER_TOTALS, *genres.values()]

    def rows(frame, is_request, **values):
        return frame.select(
            "profile_id",
            "day",
            F.lit(is_request).alias("is_request"),
            (F.col("account_id") if is_request else F.lit(None).cast("string")).alias("account_id"),
            *[values.get(name, F.lit(0)).cast("bigint").alias(name) for name in totals],
        )

    def played(sign, days_after):
        """A day played enters the 28-day totals on its date and leaves them 28 days later."""
        day = F.col("event_date") if days_after == 0 else F.date_add(F.col("event_date"), days_after)
        return rows(
            activity.withColumn("day", day),
            0,
            seconds=F.col("seconds") * F.lit(sign),
            days_held=F.lit(sign),
            **{name: F.col(name) * F.lit(sign) for name in genres.values()},
        )

    def of_kind(kind):
        return F.when(F.col("kind") == F.lit(kind), F.col("change")).otherwise(F.lit(0))

    titles_held = summed_per_day(F, title_changes, cutoff, last_feature_date, titles_held=F.col("change"))
    held_alone = summed_per_day(
        F, alone, cutoff, last_feature_date, titles_alone=of_kind("title"), days_alone=of_kind("day")
    )
    # The summed changes are dated already; the days played are dated here.
    days_played = dated(F, played(1, 0).unionAll(played(-1, WINDOW_DAYS)), cutoff, last_feature_date)
    return (
        days_played.unionAll(rows(titles_held, 0, titles_held=F.col("titles_held")))
        .unionAll(rows(held_alone, 0, titles_alone=F.col("titles_alone"), days_alone=F.col("days_alone")))
        .unionAll(rows(members_live, 1))
    )


def totals_on_requests(F, W, timeline, key, sums):
    """The rows flagged is_request, each column of `sums` replaced by its running total up to their day."""
    per_day = timeline.groupBy(key, "day").agg(
        F.max(F.col("is_request")).alias("is_request"),
        *([F.max(F.col("account_id")).alias("account_id")] if key != "account_id" else []),
        # Integer sums stay integers (bigint on both engines) so shares divide the same exact counts.
        *[F.sum(F.col(column)).cast("bigint").alias(column) for column in sums],
    ).withColumn("day_index", day_index(F, F.col("day")))
    by_day = W.partitionBy(key).orderBy(F.col("day_index"))
    up_to_the_day = by_day.rangeBetween(W.unboundedPreceding, W.currentRow)
    carried = [key, "account_id"] if key != "account_id" else [key]
    return per_day.select(
        *carried,
        "day",
        "is_request",
        *[F.sum(F.col(column)).over(up_to_the_day).cast("bigint").alias(column) for column in sums],
    ).where(F.col("is_request") == 1)


def build(F, W, feature_dates, profiles, titles, cutoff=None, genres=GENRES):
    if cutoff is not None:
        feature_dates = feature_dates.where(F.col("feature_date") >= F.lit(cutoff).cast("date"))
        titles = titles.where(F.col("event_date") >= F.date_sub(F.lit(cutoff).cast("date"), WINDOW_DAYS - 1))
    feature_dates = feature_dates.select("profile_id", "account_id", "feature_date")
    last_feature_date = feature_dates.agg(F.max(F.col("feature_date")).alias("last_feature_date"))
    genre_sums = genre_columns([*GENRES, *genres])

    members = member_indexes(F, W, profiles)
    members_live = live_members(F, feature_dates, profiles)
    activity = played_days(F, titles, genre_sums)
    title_changes = title_runs(F, W, titles)

    # Who holds each title and each day: one holder -> that member holds it alone; >= 1 -> a household title.
    items = title_changes.select(
        "profile_id", F.lit("title").alias("kind"), F.col("content_id").alias("item"), "day", "change"
    ).unionAll(
        day_runs(F, activity).select("profile_id", F.lit("day").alias("kind"), "item", "day", "change")
    )
    held = holders(F, W, items, members, cutoff, last_feature_date)
    alone_spans = (
        held.where(F.col("holders") == 1)
        .alias("s")
        .join(
            members.alias("holder"),
            (F.col("s.account_id") == F.col("holder.account_id"))
            & (F.col("s.index_sum") == F.col("holder.member_index")),
            how="inner",
        )
        .select(
            F.col("holder.profile_id").alias("profile_id"),
            *[F.col(f"s.{column}").alias(column) for column in ("kind", "day", "next_day")],
        )
    )
    alone = span_changes(F, alone_spans, "profile_id", "kind")

    timeline = member_timeline(
        F, members_live, activity, title_changes.select("profile_id", "day", "change"), alone, genre_sums,
        cutoff, last_feature_date,
    )
    member_totals = totals_on_requests(F, W, timeline, "profile_id", [*MEMBER_TOTALS, *genre_sums.values()])
    held_titles = held.where((F.col("kind") == F.lit("title")) & (F.col("holders") >= 1))
    household_title_timeline = span_changes(F, held_titles, "account_id").select(
        "account_id", "day", F.lit(0).alias("is_request"), F.col("change").alias("household_titles")
    ).unionAll(
        feature_dates.select("account_id", F.col("feature_date").alias("day")).distinct().select(
            "account_id", "day", F.lit(1).alias("is_request"), F.lit(0).alias("household_titles")
        )
    )
    household_titles = totals_on_requests(F, W, household_title_timeline, "account_id", ["household_titles"])
    member_totals = with_household_totals(F, W, member_totals, household_titles, genre_sums)
    return household_features(F, feature_dates, profiles, member_totals, genre_sums)


def with_household_totals(F, W, member_totals, household_titles, genres):
    """Member totals and their household's, as window aggregates over the household's rows; the household's
    title count is one more row of its (account, day), without a profile (a union: SQLFrame copies the steps
    two joined frames share, here `held`, so DuckDB computed them twice; ADR 0008)."""
    sums = [*MEMBER_TOTALS, *genres.values()]
    titles = F.lit(0).cast("bigint").alias("household_titles")
    member_rows = member_totals.select("profile_id", "account_id", "day", *sums, titles)
    no_profile = F.lit(None).cast("string").alias("profile_id")
    household_rows = household_titles.select(
        no_profile, "account_id", "day", *[F.lit(0).cast("bigint").alias(name) for name in sums],
        F.col("household_titles").cast("bigint").alias("household_titles"),
    )
    household = W.partitionBy("account_id", "day")
    is_member = F.col("profile_id").isNotNull()
    is_active = F.when(is_member & (F.col("days_held") > 0), 1).otherwise(0)
    return member_rows.unionAll(household_rows).select(
        "profile_id", "account_id", "day", *sums,
        F.count(F.col("profile_id")).over(household).alias("household_profiles"),
        F.sum(is_active).over(household).alias("active_profiles"),
        F.sum(F.col("seconds")).over(household).alias("household_seconds"),
        F.max(F.when(is_member, F.col("seconds"))).over(household).alias("max_member_seconds"),
        *[F.sum(F.col(name)).over(household).alias(f"household_{name}") for name in genres.values()],
        F.sum(F.col("household_titles")).over(household).alias("household_titles"),
    ).where(is_member)


def genre_similarity(F, genres):
    """Cosine of the profile's genre vector and the others' (household minus own), in a fixed genre order.

    A NULL genre counts as the join form counted it (its `=` never matched a NULL genre to the profile's own):
    none of it is the profile's, all of the household's is the others'."""
    own = {
        name: F.lit(0.0) if genre is None else F.col(f"ms.{name}").cast("double")
        for genre, name in genres.items()
    }
    others = {
        name: F.col(f"ms.household_{name}").cast("double") - own[name] for name in genres.values()
    }
    dot = xengine.added([own[name] * others[name] for name in genres.values()])
    own_norm = F.sqrt(xengine.added([own[name] * own[name] for name in genres.values()]))
    others_norm = F.sqrt(xengine.added([others[name] * others[name] for name in genres.values()]))
    return F.when((own_norm > 0) & (others_norm > 0), dot / (own_norm * others_norm))


def household_features(F, feature_dates, profiles, member_totals, genres):
    same_day = F.col("f.feature_date") == F.col("ms.day")
    on_member = (F.col("f.profile_id") == F.col("ms.profile_id")) & same_day
    joined = (
        feature_dates.alias("f")
        .join(profiles.alias("p"), F.col("f.profile_id") == F.col("p.profile_id"), how="inner")
        .join(member_totals.alias("ms"), on_member, how="left")
    )
    own_seconds = F.coalesce(F.col("ms.seconds"), F.lit(0))
    household_seconds = F.coalesce(F.col("ms.household_seconds"), F.lit(0))
    titles = F.coalesce(F.col("ms.household_titles"), F.lit(0))
    shared_titles = F.coalesce(F.col("ms.titles_held") - F.col("ms.titles_alone"), F.lit(0))
    shared_days = F.coalesce(F.col("ms.days_held") - F.col("ms.days_alone"), F.lit(0))
    return joined.select(
        F.col("f.profile_id").alias("profile_id"),
        F.coalesce(F.col("ms.household_profiles"), F.lit(1)).cast("int").alias("household_profiles"),
        F.coalesce(F.col("ms.active_profiles"), F.lit(0)).cast("int").alias("household_active_profiles_28d"),
        F.when(household_seconds > 0, own_seconds / household_seconds)
        .cast("double")
        .alias("household_watch_share_28d"),
        ((own_seconds > 0) & (own_seconds == F.coalesce(F.col("ms.max_member_seconds"), F.lit(0))))
        .alias("is_household_top_viewer_28d"),
        F.when(titles > 0, shared_titles / titles).cast("double").alias("household_title_overlap_28d"),
        genre_similarity(F, genres).cast("double").alias("household_genre_similarity_28d"),
        shared_days.cast("int").alias("household_shared_days_28d"),
        F.coalesce(F.col("p.is_kids"), F.lit(False)).alias("is_kids_profile"),
        F.col("f.feature_date").alias("feature_date"),
    )


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="feature_date")
    dbt.ref("int_profile_feature_dates")
    dbt.ref("stg_gold__profiles")
    dbt.ref("int_profile_day_titles_aggregated")
    dbt.ref("stg_gold__content")
    cutoff = xengine.incremental_cutoff(dbt, session, lookback_days=int(dbt.config.get("lookback_days")))
    slice_rows = int(dbt.config.get("profile_slice_rows"))
    return xengine.run(
        dbt, session, build,
        "int_profile_feature_dates", "stg_gold__profiles", "int_profile_day_titles_aggregated",
        # Every row is one household's: built one slice of the accounts at a time when it is large.
        slices=xengine.profile_slices(dbt, session, "int_profile_feature_dates", cutoff, slice_rows),
        slice_by="account_id",
        slice_members="stg_gold__profiles",
        cutoff=cutoff,
        genres=xengine.distinct_values(dbt, session, "stg_gold__content", "genre"),
    )
