"""The floor for the standings refresh: what `accounts.standings.standings_refresh(
premises_ids=..., areas=..., on=on, hooks=False)` does, written by hand as one set-based
PostgreSQL statement.

For every premises (or those of premises_ids) and each area (or those of areas) it works
out the same level, the same reason sentence and the same figures as the area's standing
module (nhsmail/rules.py, smartcards/standing.py, eps/standing.py, records/standing.py),
upserts them into accounts_premisesstanding (worked_out_for = on, worked_out_at = now(),
stale = false) and accounts_standingday (the day's level), and sums the day's history
into accounts_standingtally again for the organisations concerned, as tallies_rebuild
does: all in one statement, in one transaction. tests/standings/test_floor.py holds the
floor and the portal equal, row for row and figure for figure, in all three tables.

The statement is one WITH query; each figure is a grouped aggregate joined to the
premises, never a subquery per premises:

  sel          the premises: every one, or id = ANY(ids).
  cur          memberships in force on the day (start_date <= on < end_date). Inlined
               where used, so each use is planned with the table's statistics.
  nhs_people   the links that count: current, live, confirmed in the last 60 days, not a
               shared mailbox (by stored address or by shape), the person working there.
               One row per (premises, person) already: one account per person, one
               current link per account and mailbox, one mailbox per premises.
  nhs_counts   people counted, per premises.
  nhs_names    for premises whose reason names people (one or two): short names
               ("A. Khan", split where str.split() splits) and the first and last of them
               in code-point order, as sorted() orders them.
  sc_requests  waiting or claimed requests: count, urgent, the oldest raised_at.
  sc_cards     cards of the people working there (a person once, however many
               memberships): expired, ending within 30, 60 and 90 days.
  sc_covering  active unlockers covering each premises, by premises or organisation, once.
  sc_on_site   premises where one of them works.
  eps_moves    stock (every movement) and the eight-week usage window, in one pass.
  eps_orders   open, placed and overdue orders, in one pass.
  eps_pcse     PCSE orderers working there.
  rec_counts   staff, eligible, ready, a ready registered pharmacist, training due: one
               pass over the memberships with their readiness records and GPhC numbers,
               counting membership rows as readiness_figures does.
  *_parts      the red and amber clauses of each area, built with CASE and concat_ws in
               the modules' words and order.
  rows         (premises, area, level, reason, figures) for the areas asked for.
  ins          INSERT INTO accounts_premisesstanding ... ON CONFLICT (premises_id, area)
               DO UPDATE.
  day_levels   the day's history of the organisations concerned as it stands once this
  tallies      statement has written it (the rows written here, and the rows already
               stored for their other premises), summed per organisation, ICB area, area
               and level.
  tallies_gone DELETE the day's tallies of those organisations and areas, then
  tallies_made INSERT the new ones (held back until the delete is done).
  and finally  INSERT INTO accounts_standingday ... ON CONFLICT (premises_id, area, day)
               DO UPDATE SET level.

Thresholds, codes and patterns come from the areas' own modules (and the same settings),
so the floor cannot drift from them by a constant; only the SQL is written by hand.
"""

import sys
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import NotSupportedError, connection, transaction

from accounts import standings
from accounts.models import Membership
from eps import standing as eps_standing
from eps.models import StockMovement, TokenOrder, default_settings
from eps.selectors import USAGE_WINDOW_DAYS
from nhsmail import rules as nhsmail_rules
from nhsmail.models import PersonalAccount
from nhsmail.validators import SHARED_MAILBOX_ADDRESS_PATTERNS
from records.readiness import ELIGIBLE_JOB_ROLES, SCR_ROLES_HELD, training_refresh_cutoff
from smartcards import standing as smartcards_standing
from smartcards.models import SmartcardRequest

# The areas, as accounts.standings registers them (see _check_areas).
AREA_KEYS = ("nhsmail", "smartcards", "eps", "records")
# The windows smartcards.selectors.premises_smartcard_figures counts certificates in; the
# 90-day one is settings.SMARTCARD_RENEWAL_WINDOW_DAYS.
EXPIRING_WINDOWS = {"expiring_30": 30, "expiring_60": 60}


@cache
def _whitespace():
    """The characters str.split() splits on: short names are cut where Python cuts them."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def _plural(expr, word):
    """SQL for the modules' `_plural`: "1 day", "2 days", "0 days"."""
    return f"(({expr})::text || ' {word}' || CASE WHEN ({expr}) = 1 THEN '' ELSE 's' END)"


def _capitalised(expr):
    """SQL for smartcards' `_sentence`: text[0].upper() + text[1:]."""
    return f"(upper(left({expr}, 1)) || substr({expr}, 2))"


def _in(values):
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


@cache
def _sql(selected, areas):
    """The statement for these area keys; `selected` limits it to the premises in
    %(ids)s. An area left out is neither worked out nor written: PostgreSQL skips the
    WITH queries only it reads."""

    def only(column):
        return f" AND {column} = ANY(%(ids)s::bigint[])" if selected else ""

    shared_shape = " OR ".join(
        f"a.address ~* %(shape_{i})s" for i in range(len(SHARED_MAILBOX_ADDRESS_PATTERNS))
    )
    active = _in(SmartcardRequest.ACTIVE)
    eligible = _in(sorted(ELIGIBLE_JOB_ROLES))
    held = _in(SCR_ROLES_HELD)
    pharmacist = _in([Membership.JobRole.PHARMACIST])
    ready = (
        f"(c.job_role IN {eligible} AND r.scr_role IN {held} "
        "AND (r.is_trainee OR g.id IS NOT NULL))"
    )
    expiring = ",\n".join(
        f"    count(*) FILTER (WHERE h.certificate_expires_on >= %(on)s\n"
        f"      AND h.certificate_expires_on <= %(on_{name})s) AS {name}"
        for name in ("expiring_30", "expiring_60", "expiring_90")
    )
    usage = (
        f"sm.kind = '{StockMovement.Kind.USAGE}' "
        "AND sm.occurred_on >= %(usage_from)s AND sm.occurred_on <= %(on)s"
    )
    low = (
        "'Low on tokens: ' || " + _plural("days_of_cover", "day") + " || ' of cover, below "
        "the ' || reorder_days::text || '-day reorder point'"
    )
    branches = {
        "nhsmail": """
  SELECT premises_id, 'nhsmail' AS area,
    CASE WHEN NOT has_mailbox OR people < %(required_people)s THEN 'red'
      WHEN people = %(required_people)s THEN 'amber'
      ELSE 'green'
    END AS level,
    CASE WHEN NOT has_mailbox THEN 'No shared mailbox recorded for this premises'
      WHEN people = 0 THEN 'No live personal accounts linked to the shared mailbox'
      WHEN people = 1 THEN 'Only one live linked account: ' || first_name
      WHEN people = 2 THEN 'Exactly two live linked accounts: ' || first_name || ' and '
        || last_name || '. One leaver breaks the rule'
      ELSE people::text || ' live linked accounts'
    END AS reason,
    jsonb_build_object('qualifying_people', people, 'has_mailbox', has_mailbox) AS figures
  FROM nhs""",
        "smartcards": f"""
  SELECT premises_id, 'smartcards' AS area,
    CASE WHEN red <> '' THEN 'red' WHEN amber <> '' THEN 'amber' ELSE 'green' END AS level,
    CASE WHEN red <> '' THEN {_capitalised("concat_ws('; ', red, NULLIF(amber, ''))")}
      WHEN amber <> '' THEN {_capitalised("amber")}
      ELSE 'Nothing waiting; ' || {_plural("expiring_90", "certificate")}
        || ' due for renewal within ' || %(renewal_window_days)s::text || ' days'
    END AS reason,
    jsonb_build_object(
      'open_requests', open_requests, 'urgent_requests', urgent_requests,
      'certificates_expired', certificates_expired, 'expiring_30', expiring_30,
      'expiring_60', expiring_60, 'expiring_90', expiring_90,
      'unlocker_count', unlocker_count, 'unlocker_on_site', unlocker_on_site
    ) || CASE WHEN oldest IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object(
      -- datetime.isoformat() of the UTC datetime Django reads: microseconds unless 0
      'oldest_raised_at', to_char(oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN to_char(oldest AT TIME ZONE 'UTC', 'US') = '000000' THEN ''
          ELSE to_char(oldest AT TIME ZONE 'UTC', '.US') END
        || '+00:00'
    ) END AS figures
  FROM sc_parts""",
        "eps": f"""
  SELECT premises_id, 'eps' AS area,
    CASE WHEN red IS NOT NULL THEN 'red' WHEN amber <> '' THEN 'amber' ELSE 'green' END
      AS level,
    CASE WHEN red IS NOT NULL THEN concat_ws('; ', red, NULLIF(amber, ''))
      WHEN amber <> '' THEN amber
      -- f"{{stock:,}}": comma thousands, whatever the locale
      ELSE to_char(stock, 'FM9,999,999,999,999,999,990') || ' in stock, '
        || {_plural("days_of_cover", "day")} || ' of cover'
    END AS reason,
    jsonb_build_object(
      'stock', stock, 'days_of_cover', days_of_cover, 'reorder_days', reorder_days,
      'open_orders', open_orders, 'placed_orders', placed_orders,
      'overdue_orders', overdue_orders, 'orderers', orderers, 'has_usage', has_usage,
      'is_low', is_low, 'too_few_orderers', too_few_orderers
    ) AS figures
  FROM eps_parts""",
        "records": """
  SELECT premises_id, 'records' AS area,
    CASE WHEN NOT has_ready_pharmacist THEN 'red' WHEN amber <> '' THEN 'amber'
      ELSE 'green'
    END AS level,
    CASE WHEN NOT has_ready_pharmacist THEN concat_ws('; ',
        CASE WHEN staff_count = 0
          THEN 'No staff recorded here, so no pharmacist is ready for SCR/NCRS'
          ELSE 'No registered pharmacist here is ready for SCR/NCRS ('
            || ready_staff_count::text || ' staff ready)'
        END,
        NULLIF(amber, ''))
      WHEN amber <> '' THEN amber
      ELSE ready_staff_count::text || ' of ' || eligible_staff_count::text
        || ' eligible staff ready'
    END AS reason,
    jsonb_build_object(
      'staff_count', staff_count, 'eligible_staff_count', eligible_staff_count,
      'ready_staff_count', ready_staff_count, 'training_due_count', training_due_count,
      'has_ready_pharmacist', has_ready_pharmacist
    ) AS figures
  FROM rec_parts""",
    }
    rows = "\n  UNION ALL\n".join(branches[key] for key in AREA_KEYS if key in areas)
    area_list = _in(sorted(areas))
    other_premises_of_the_day = tally_organisations = ""
    if selected:
        other_premises_of_the_day = f"""
  UNION ALL
  SELECT d.premises_id, d.area, d.level
  FROM accounts_standingday d JOIN accounts_premises p ON p.id = d.premises_id
  WHERE d.day = %(on)s AND d.area IN {area_list}
    AND p.organisation_id IN (SELECT organisation_id FROM asked)
    AND d.premises_id NOT IN (SELECT id FROM asked)
    AND (p.closed_on IS NULL OR p.closed_on > %(on)s)"""
        tally_organisations = " AND t.organisation_id IN (SELECT organisation_id FROM asked)"
    return f"""
WITH
asked AS (
  SELECT p.id, p.organisation_id, p.closed_on FROM accounts_premises p
  WHERE true{only("p.id")}
),
-- Premises closed on or before the day are left out, and their standing and the day's
-- history dropped (accounts.standings.refresh._forget_closed).
sel AS (
  SELECT id, organisation_id FROM asked WHERE closed_on IS NULL OR closed_on > %(on)s
),
closed_standings_gone AS (
  DELETE FROM accounts_premisesstanding
  WHERE premises_id IN (SELECT id FROM asked WHERE closed_on <= %(on)s)
  RETURNING 1
),
closed_days_gone AS (
  DELETE FROM accounts_standingday
  WHERE day = %(on)s AND premises_id IN (SELECT id FROM asked WHERE closed_on <= %(on)s)
  RETURNING 1
),
cur AS NOT MATERIALIZED (
  SELECT m.id, m.premises_id, m.user_id, m.job_role
  FROM accounts_membership m
  WHERE m.start_date <= %(on)s AND (m.end_date IS NULL OR m.end_date > %(on)s)
    {only("m.premises_id")}
),
-- NHSmail.
nhs_people AS (
  SELECT mb.premises_id, a.user_id
  FROM nhsmail_mailboxlink l
  JOIN nhsmail_sharedmailbox mb ON mb.id = l.mailbox_id
  JOIN nhsmail_personalaccount a ON a.id = l.account_id
  WHERE l.unlinked_on IS NULL AND l.linked_on <= %(on)s
    AND a.status = %(live)s AND a.last_confirmed_on >= %(live_since)s
    AND NOT ({shared_shape})
    AND NOT EXISTS (SELECT 1 FROM nhsmail_sharedmailbox x WHERE x.address = a.address)
    AND EXISTS (
      SELECT 1 FROM cur w WHERE w.premises_id = mb.premises_id AND w.user_id = a.user_id
    )
    {only("mb.premises_id")}
),
nhs_counts AS (
  SELECT premises_id, count(*) AS people FROM nhs_people GROUP BY premises_id
),
nhs_names AS (
  SELECT premises_id,
    min(short_name COLLATE "C") AS first_name, max(short_name COLLATE "C") AS last_name
  FROM (
    SELECT p.premises_id,
      CASE WHEN strpos(n.words, ' ') > 0
        THEN left(n.words, 1) || '. ' || reverse(split_part(reverse(n.words), ' ', 1))
        ELSE n.full_name END AS short_name
    FROM nhs_people p
    JOIN nhs_counts c ON c.premises_id = p.premises_id AND c.people <= 2,
    LATERAL (
      -- the name with every character str.split() splits on made a space, trimmed
      SELECT u.full_name,
        btrim(translate(u.full_name, %(whitespace)s, %(spaces)s), ' ') AS words
      FROM accounts_user u WHERE u.id = p.user_id
    ) n
  ) named
  GROUP BY premises_id
),
nhs AS (
  SELECT s.id AS premises_id, mb.id IS NOT NULL AS has_mailbox,
    COALESCE(c.people, 0) AS people, n.first_name, n.last_name
  FROM sel s
  LEFT JOIN nhsmail_sharedmailbox mb ON mb.premises_id = s.id
  LEFT JOIN nhs_counts c ON c.premises_id = s.id
  LEFT JOIN nhs_names n ON n.premises_id = s.id
),
-- Smartcards.
sc_requests AS (
  SELECT r.premises_id, count(*) AS open_requests,
    count(*) FILTER (WHERE r.urgent) AS urgent_requests, min(r.raised_at) AS oldest
  FROM smartcards_smartcardrequest r
  WHERE r.status IN {active}{only("r.premises_id")}
  GROUP BY r.premises_id
),
sc_cards AS (
  SELECT premises_id,
    count(*) FILTER (WHERE h.certificate_expires_on < %(on)s) AS certificates_expired,
{expiring}
  FROM (
    SELECT DISTINCT w.premises_id, h.user_id, h.certificate_expires_on
    FROM cur w JOIN smartcards_smartcardholder h ON h.user_id = w.user_id
    WHERE h.certificate_expires_on <= %(cards_horizon)s
  ) h
  GROUP BY premises_id
),
sc_covering AS (
  SELECT c.premises_id, c.unlocker_id
  FROM (
    SELECT uc.premises_id, uc.unlocker_id FROM accounts_unlockercover uc
    WHERE uc.premises_id IS NOT NULL{only("uc.premises_id")}
    UNION
    SELECT s.id, uc.unlocker_id
    FROM sel s JOIN accounts_unlockercover uc ON uc.organisation_id = s.organisation_id
  ) c
  JOIN accounts_user u ON u.id = c.unlocker_id AND u.is_active
),
sc_on_site AS (
  SELECT c.premises_id FROM sc_covering c
  WHERE EXISTS (
    SELECT 1 FROM cur w WHERE w.premises_id = c.premises_id AND w.user_id = c.unlocker_id
  )
  GROUP BY c.premises_id
),
sc_cover AS (
  SELECT c.premises_id, count(*) AS unlocker_count,
    o.premises_id IS NOT NULL AS unlocker_on_site
  FROM sc_covering c LEFT JOIN sc_on_site o ON o.premises_id = c.premises_id
  GROUP BY c.premises_id, o.premises_id
),
sc AS (
  SELECT s.id AS premises_id,
    COALESCE(q.open_requests, 0) AS open_requests,
    COALESCE(q.urgent_requests, 0) AS urgent_requests,
    q.oldest,
    COALESCE(k.certificates_expired, 0) AS certificates_expired,
    COALESCE(k.expiring_30, 0) AS expiring_30,
    COALESCE(k.expiring_60, 0) AS expiring_60,
    COALESCE(k.expiring_90, 0) AS expiring_90,
    COALESCE(v.unlocker_count, 0) AS unlocker_count,
    COALESCE(v.unlocker_on_site, false) AS unlocker_on_site
  FROM sel s
  LEFT JOIN sc_requests q ON q.premises_id = s.id
  LEFT JOIN sc_cards k ON k.premises_id = s.id
  LEFT JOIN sc_cover v ON v.premises_id = s.id
),
sc_parts AS (
  SELECT sc.*,
    concat_ws('; ',
      CASE WHEN certificates_expired <> 0
        THEN {_plural("certificates_expired", "certificate")}
          || ' expired: only the Registration Authority can repair '
          || CASE WHEN certificates_expired = 1 THEN 'that card' ELSE 'those cards' END
      END,
      CASE WHEN urgent_requests <> 0
        THEN {_plural("urgent_requests", "urgent request")}
          || ' from someone who cannot dispense'
      END
    ) AS red,
    concat_ws('; ',
      CASE WHEN expiring_30 <> 0
        THEN {_plural("expiring_30", "certificate")}
          || ' ending within ' || %(expiring_soon_days)s::text || ' days'
      END,
      CASE WHEN open_requests - urgent_requests <> 0
        THEN {_plural("open_requests - urgent_requests", "unlock or renewal request")}
          || ' waiting'
      END,
      CASE WHEN unlocker_count = 0 THEN 'no local smartcard unlocker covers this premises' END
    ) AS amber
  FROM sc
),
-- EPS.
eps_moves AS (
  SELECT sm.premises_id, sum(sm.quantity) AS stock,
    sum(sm.quantity) FILTER (WHERE {usage}) AS used,
    min(sm.covers_from) FILTER (WHERE {usage}) AS usage_from,
    max(sm.occurred_on) FILTER (WHERE {usage}) AS usage_to
  FROM eps_stockmovement sm
  WHERE true{only("sm.premises_id")}
  GROUP BY sm.premises_id
),
eps_orders AS (
  SELECT o.premises_id, count(*) AS open_orders,
    count(*) FILTER (WHERE o.status = %(placed)s) AS placed_orders,
    count(*) FILTER (WHERE o.status = %(placed)s AND o.expected_delivery_on < %(on)s)
      AS overdue_orders
  FROM eps_tokenorder o
  WHERE o.status IN {_in(TokenOrder.OPEN_STATUSES)}{only("o.premises_id")}
  GROUP BY o.premises_id
),
eps_pcse AS (
  SELECT po.premises_id, count(*) AS orderers
  FROM eps_pcseorderer po
  WHERE EXISTS (
    SELECT 1 FROM cur w WHERE w.premises_id = po.premises_id AND w.user_id = po.user_id
  ){only("po.premises_id")}
  GROUP BY po.premises_id
),
eps_base AS (
  SELECT s.id AS premises_id, COALESCE(m.stock, 0) AS stock,
    -COALESCE(m.used, 0) AS usage_tokens, m.usage_from, m.usage_to,
    -- TokenFigures: the settings row's values, the field defaults without one (a lead
    -- time of 0 falls back too, as `or` does)
    COALESCE(NULLIF(t.lead_time_days, 0), %(lead_time_days)s)
      + COALESCE(t.safety_margin_days, %(safety_margin_days)s) AS reorder_days,
    COALESCE(o.open_orders, 0) AS open_orders,
    COALESCE(o.placed_orders, 0) AS placed_orders,
    COALESCE(o.overdue_orders, 0) AS overdue_orders,
    COALESCE(po.orderers, 0) AS orderers
  FROM sel s
  LEFT JOIN eps_tokensettings t ON t.premises_id = s.id
  LEFT JOIN eps_moves m ON m.premises_id = s.id
  LEFT JOIN eps_orders o ON o.premises_id = s.id
  LEFT JOIN eps_pcse po ON po.premises_id = s.id
),
eps_figures AS (
  SELECT b.*, x.days_of_cover, x.days_of_cover IS NOT NULL AS has_usage,
    COALESCE(x.days_of_cover < b.reorder_days, false) AS is_low,
    b.orderers < %(min_orderers)s AS too_few_orderers
  FROM eps_base b,
  LATERAL (
    -- stock * usage_days // usage_tokens, floored as Python floors a negative stock
    SELECT CASE WHEN b.usage_tokens > 0 AND b.usage_from IS NOT NULL AND b.usage_to IS NOT NULL
      THEN CASE WHEN b.stock >= 0
        THEN (b.stock * (b.usage_to - b.usage_from + 1)) / b.usage_tokens
        ELSE (b.stock * (b.usage_to - b.usage_from + 1) - b.usage_tokens + 1) / b.usage_tokens
      END
    END AS days_of_cover
  ) x
),
eps_parts AS (
  SELECT e.*,
    CASE WHEN is_low AND placed_orders = 0
        THEN {low} || ', and no order placed on PCSE Online'
      WHEN is_low AND overdue_orders <> 0
        THEN {low} || ', and the order placed is overdue'
    END AS red,
    concat_ws('; ',
      CASE WHEN is_low AND placed_orders <> 0 AND overdue_orders = 0
        THEN {low} || '; an order is on its way'
      END,
      -- overdue orders and no red clause: not low (a low premises with one is red)
      CASE WHEN overdue_orders <> 0 AND NOT is_low
        THEN {_plural("overdue_orders", "order")} || ' past the expected delivery date'
      END,
      CASE WHEN too_few_orderers
        THEN CASE WHEN orderers = 1 THEN 'Only one person' ELSE 'Nobody' END
          || ' here can order on PCSE Online; ' || %(min_orderers)s::text || ' are needed'
      END,
      CASE WHEN NOT has_usage
        THEN 'No token usage recorded in the last eight weeks, so days of cover are unknown'
      END
    ) AS amber
  FROM eps_figures e
),
-- SCR/NCRS readiness: membership rows, as readiness_figures counts them.
rec_counts AS (
  SELECT c.premises_id, count(*) AS staff_count,
    count(*) FILTER (WHERE c.job_role IN {eligible}) AS eligible_staff_count,
    count(*) FILTER (WHERE {ready}) AS ready_staff_count,
    bool_or({ready} AND c.job_role IN {pharmacist} AND NOT r.is_trainee)
      AS has_ready_pharmacist,
    count(*) FILTER (
      WHERE c.job_role IN {eligible} AND r.cppe_training_on <= %(training_cutoff)s
    ) AS training_due_count
  FROM cur c
  LEFT JOIN records_readinessrecord r ON r.membership_id = c.id
  LEFT JOIN records_gphcregistration g ON g.user_id = c.user_id
  GROUP BY c.premises_id
),
rec AS (
  SELECT s.id AS premises_id, COALESCE(k.staff_count, 0) AS staff_count,
    COALESCE(k.eligible_staff_count, 0) AS eligible_staff_count,
    COALESCE(k.ready_staff_count, 0) AS ready_staff_count,
    COALESCE(k.training_due_count, 0) AS training_due_count,
    COALESCE(k.has_ready_pharmacist, false) AS has_ready_pharmacist
  FROM sel s LEFT JOIN rec_counts k ON k.premises_id = s.id
),
rec_parts AS (
  SELECT rec.*,
    concat_ws('; ',
      CASE WHEN ready_staff_count < eligible_staff_count
        THEN (eligible_staff_count - ready_staff_count)::text || ' of '
          || eligible_staff_count::text || ' eligible staff not ready'
      END,
      CASE WHEN training_due_count <> 0
        THEN 'CPPE SCR training due a refresh for ' || training_due_count::text || ' of '
          || eligible_staff_count::text || ' eligible staff'
      END
    ) AS amber
  FROM rec
),
rows AS (
{rows}
),
ins AS (
  INSERT INTO accounts_premisesstanding
    (premises_id, area, level, reason, figures, worked_out_for, worked_out_at, stale)
  SELECT premises_id, area, level, left(reason, 500), figures, %(on)s, now(), false
  FROM rows
  ORDER BY premises_id, area
  ON CONFLICT (premises_id, area) DO UPDATE SET
    level = EXCLUDED.level, reason = EXCLUDED.reason, figures = EXCLUDED.figures,
    worked_out_for = EXCLUDED.worked_out_for, worked_out_at = EXCLUDED.worked_out_at,
    stale = EXCLUDED.stale
),
-- The day's tallies (standings.tallies_rebuild): StandingDay as it stands once this
-- statement has written it, summed per organisation, ICB area, area and level, for the
-- organisations of these premises. Their history for the day is the rows written here,
-- and, for the organisations' other premises, the rows already stored.
day_levels AS (
  SELECT premises_id, area, level FROM rows{other_premises_of_the_day}
),
tallies AS (
  SELECT p.organisation_id, p.region_id, l.area, l.level, count(*) AS premises_count
  FROM day_levels l JOIN accounts_premises p ON p.id = l.premises_id
  GROUP BY p.organisation_id, p.region_id, l.area, l.level
),
tallies_gone AS (
  DELETE FROM accounts_standingtally t
  WHERE t.day = %(on)s AND t.area IN {area_list}{tally_organisations}
  RETURNING 1
),
tallies_made AS (
  INSERT INTO accounts_standingtally
    (organisation_id, region_id, area, day, level, premises_count)
  SELECT organisation_id, region_id, area, %(on)s, level, premises_count FROM tallies
  -- after the delete: waiting for its count holds every insert back until it is done
  WHERE (SELECT count(*) FROM tallies_gone) >= 0
)
INSERT INTO accounts_standingday (premises_id, area, day, level)
SELECT premises_id, area, %(on)s, level FROM rows
ORDER BY premises_id, area
ON CONFLICT (premises_id, area, day) DO UPDATE SET level = EXCLUDED.level
"""


def _params(on):
    defaults = default_settings()
    windows = {**EXPIRING_WINDOWS, "expiring_90": settings.SMARTCARD_RENEWAL_WINDOW_DAYS}
    whitespace = _whitespace()
    params = {
        "on": on,
        # NHSmail
        "live": PersonalAccount.Status.LIVE.value,
        "live_since": nhsmail_rules.counts_as_live_since(on),
        "required_people": nhsmail_rules.REQUIRED_PEOPLE,
        "whitespace": whitespace,
        "spaces": " " * len(whitespace),
        # Smartcards
        "renewal_window_days": settings.SMARTCARD_RENEWAL_WINDOW_DAYS,
        "expiring_soon_days": smartcards_standing.EXPIRING_SOON_DAYS,
        "cards_horizon": on + timedelta(days=max(windows.values())),
        # EPS
        "usage_from": on - timedelta(days=USAGE_WINDOW_DAYS - 1),
        "placed": TokenOrder.Status.PLACED.value,
        "lead_time_days": defaults["lead_time_days"],
        "safety_margin_days": defaults["safety_margin_days"],
        "min_orderers": eps_standing.MIN_ORDERERS,
        # Records
        "training_cutoff": training_refresh_cutoff(on),
    }
    for name, days in windows.items():
        params[f"on_{name}"] = on + timedelta(days=days)
    for i, pattern in enumerate(SHARED_MAILBOX_ADDRESS_PATTERNS):
        params[f"shape_{i}"] = pattern
    return params


def _check_areas(areas):
    """The area keys to work out, as standings_refresh takes them: every registered area
    when None (and the floor must know every one of them, or it would do less than the
    portal), else those given (KeyError for one that is not registered)."""
    registered = [a.key for a in standings.areas()]
    if areas is None:
        unknown = set(registered) - set(AREA_KEYS)
        if unknown:
            raise NotImplementedError(
                f"the standings floor does not work out area(s) {sorted(unknown)}"
            )
        return frozenset(registered)
    return frozenset(standings.area(key).key for key in areas)


def refresh_floor(*, premises_ids=None, on, areas=None):
    """Work out and store the standings of the premises (every premises when premises_ids
    is None) in the given areas (every area when None) for day `on`, with the day's
    history and tallies, as standings_refresh(premises_ids=..., areas=..., on=on,
    hooks=False) does: one statement, in one transaction. Returns the number of history
    rows written. PostgreSQL only: NotSupportedError on any other database."""
    if connection.vendor != "postgresql":
        raise NotSupportedError(
            "benchmarks.standings_floor.refresh_floor is PostgreSQL-only; this database is "
            f"{connection.vendor}"
        )
    keys = _check_areas(areas)
    params = _params(on)
    if premises_ids is not None:
        params["ids"] = sorted({int(pk) for pk in premises_ids})
    if not keys or params.get("ids") == []:
        return 0  # as standings_refresh: nothing to work out, nothing written
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_sql(premises_ids is not None, keys), params)
        return cursor.rowcount
