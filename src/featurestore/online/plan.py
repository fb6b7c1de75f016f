"""The sync's plan and the rows it writes, as SQL text: one definition for every engine.

Written in DuckDB's dialect and run as is by the single-machine sync (`sync.SyncSource`); the Spark sync
(`spark_sync.SparkSyncSource`) runs the same text transpiled by sqlglot. Each query reads the published
tables named in `PlanTables` and the plan's own intermediate relations, which the engine keeps under the
fixed names below (DuckDB temp tables, Spark temp views).

The RESP bytes of a profile's transaction are rendered by DuckDB in both syncs (`resp_sql`, over the rows of
`rows_to_write`: in the warehouse on one machine, over each Arrow batch of a Spark partition on a cluster),
so both write the same bytes for the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from featurestore.online.layout import Layout
from featurestore.online.resp import sql_string, transaction_sql

# the plan's intermediate relations
PLANS = "_fs_plans"  # account_id, plan_tier valid on N
PLAN_CHANGES = "_fs_plan_changes"  # accounts with a plan state starting in the sync window
SYNC_PLAN = "_fs_sync_plan"  # every profile of the log: its latest row <= N and its state at N
SYNC_WRITES = "_fs_sync_writes"  # the live profiles this sync writes

EXPIRE_SECONDS = "_fs_expire_seconds"


def date_literal(d: date) -> str:
    return f"date '{d.isoformat()}'"


@dataclass(frozen=True)
class PlanTables:
    """Where the plan reads: the published log, the profiles' lifecycle and the accounts' plan states
    (dbt's `int_account_plans_historized`: account_id, plan_tier, valid_from)."""

    features: str
    profiles: str
    plans: str


@dataclass(frozen=True)
class PlanQueries:
    tables: PlanTables
    layout: Layout

    def newest_date(self) -> str:
        return f"select max(feature_date) as newest from {self.tables.features}"

    def plans(self, newest: date) -> str:
        """Each account's plan valid on N: the latest state started on or before N, else the earliest known
        one (the `plan_tier_as_of` macro's rule)."""
        return f"""
            select
                account_id,
                coalesce(
                    arg_max(plan_tier, valid_from) filter (where cast(valid_from as date) <= {date_literal(newest)}),
                    arg_min(plan_tier, valid_from)
                ) as plan_tier
            from {self.tables.plans}
            group by account_id
        """

    def plan_changes(self, newest: date, resync_from: date | None) -> str:
        since = "1 = 0" if resync_from is None else f"cast(valid_from as date) >= {date_literal(resync_from)}"
        return f"""
            select distinct account_id from {self.tables.plans}
            where {since} and cast(valid_from as date) <= {date_literal(newest)}
        """

    @staticmethod
    def no_plans() -> str:
        """`plans` without plan history (a warehouse not built by dbt): the row's plan_tier is written."""
        return "select cast(null as varchar) as account_id, cast(null as varchar) as plan_tier where 1 = 0"

    @staticmethod
    def no_plan_changes() -> str:
        return "select cast(null as varchar) as account_id where 1 = 0"

    def sync_plan(self, newest: date, ttl_days: int) -> str:
        n = date_literal(newest)
        features, profiles = self.tables.features, self.tables.profiles
        anchor = "coalesce(f.last_play_date, f.profile_created_date, p.created_date)"
        return f"""
            with latest as (
                select profile_id, max(feature_date) as feature_date
                from {features}
                where feature_date <= {n}
                group by profile_id
            ),
            profiles as (
                select profile_id, min(created_date) as created_date, max(deleted_date) as deleted_date
                from {profiles}
                group by profile_id
            ),
            latest_rows as (
                select
                    latest.profile_id, latest.feature_date, f.account_id, {anchor} as anchor_date,
                    p.deleted_date
                from latest
                inner join {features} as f
                    on f.profile_id = latest.profile_id and f.feature_date = latest.feature_date
                left join profiles as p on p.profile_id = latest.profile_id
            )
            select
                profile_id,
                feature_date,
                account_id,
                anchor_date,
                deleted_date,
                case
                    when deleted_date is not null and deleted_date <= {n} then 'deleted'
                    when {ttl_days} > 0 and anchor_date is not null and anchor_date + {ttl_days} <= {n}
                        then 'expired'
                    else 'live'
                end as state,
                case when {ttl_days} > 0 and anchor_date is not null
                    then date_diff('day', {n}, anchor_date + {ttl_days}) * 86400
                end as expire_seconds
            from latest_rows
        """

    @staticmethod
    def writes(resync_from: date | None) -> str:
        """Live profiles with a row dated in the window, and those of accounts whose plan changed in it."""
        after = (
            "1 = 1"
            if resync_from is None
            else f"(feature_date >= {date_literal(resync_from)} "
            f"or account_id in (select account_id from {PLAN_CHANGES}))"
        )
        return f"select * from {SYNC_PLAN} where state = 'live' and {after}"

    @staticmethod
    def count_writes() -> str:
        return f"select count(*) as writes from {SYNC_WRITES}"

    @staticmethod
    def written_ids() -> str:
        return f"select profile_id from {SYNC_WRITES}"

    def deleted(self, newest: date, resync_from: date | None) -> str:
        """Deleted profiles to remove: all in a full sync; in an incremental one those whose deletion date or
        latest row is on or after `resync_from` (also profiles deleted before they had any feature row)."""
        if resync_from is None:
            in_window = deletion_in_window = "1 = 1"
        else:
            w = date_literal(resync_from)
            in_window = f"(feature_date >= {w} or deleted_date >= {w})"
            deletion_in_window = f"deleted_date >= {w}"
        return f"""
            select profile_id from {SYNC_PLAN} where state = 'deleted' and {in_window}
            union
            select profile_id from {self.tables.profiles}
            where deleted_date <= {date_literal(newest)} and {deletion_in_window}
                and profile_id not in (select profile_id from {SYNC_PLAN})
            order by 1
        """

    @staticmethod
    def expired(resync_from: date | None, ttl_days: int) -> str:
        """Expired profiles to remove: all in a full sync; in an incremental one those whose latest row or
        expiry date (anchor + TTL) is on or after `resync_from`."""
        window = (
            "1 = 1"
            if resync_from is None
            else f"(feature_date >= {date_literal(resync_from)} "
            f"or anchor_date + {ttl_days} >= {date_literal(resync_from)})"
        )
        return f"select profile_id from {SYNC_PLAN} where state = 'expired' and {window} order by 1"

    def rows_to_write(self) -> str:
        """The row of each profile to write: its published values, plan_tier as valid on N, its expiry."""
        columns = [
            "coalesce(plans.plan_tier, log_rows.plan_tier) as plan_tier"
            if spec.name == "plan_tier"
            else f"log_rows.{spec.name}"
            for spec in self.layout.fields
        ]
        return f"""
            select
                log_rows.profile_id,
                log_rows.feature_date,
                {", ".join(columns)},
                w.expire_seconds as {EXPIRE_SECONDS}
            from {SYNC_WRITES} as w
            inner join {self.tables.features} as log_rows
                on log_rows.profile_id = w.profile_id and log_rows.feature_date = w.feature_date
            left join {PLANS} as plans on log_rows.account_id = plans.account_id
        """


def resp_sql(layout: Layout, rows: str, with_keys: bool) -> str:
    """DuckDB SQL over `rows` (a relation shaped like `rows_to_write`): `resp` (the RESP bytes of each
    profile's transaction), `has_expire` and, for routing on a cluster, `key`."""
    key = f"({sql_string(layout.profile_key_prefix)} || f.profile_id)"
    tx = transaction_sql(layout.fields, key, "f.feature_date", f"f.{EXPIRE_SECONDS}", alias="f")
    key_column = f", {key} as key" if with_keys else ""
    return f"select {tx} as resp, f.{EXPIRE_SECONDS} is not null as has_expire{key_column} from {rows} as f"
