"""NHSmail rows as one person sees them, for templates: what may be done comes from
`nhsmail.actions` alone, so no template compares a status."""

from . import actions


class StaffRowPresenter:
    """A premises page's row (selectors.StaffRow) with `actions` for its account (an
    accounts.actions.Allowed: `actions.confirm`); everything else reads through."""

    def __init__(self, row, actions_allowed):
        self.row = row
        self.actions = actions_allowed

    def __getattr__(self, name):
        return getattr(self.row, name)


def staff_rows(rows, user, *, managed: bool):
    """The rows for a viewer who manages the premises' NHSmail (`managed`) or not: no
    queries (a manager of the premises may edit the accounts of everyone working there)."""
    return [
        StaffRowPresenter(
            row,
            actions.allowed_account(
                user, row.account, may_edit=managed or row.account.user_id == user.pk
            )
            if row.account
            else None,
        )
        for row in rows
    ]


class AccountRequestPresenter:
    """A new-starter request with `actions` (`actions.submit`, `actions.mark_live`)."""

    def __init__(self, account_request, actions_allowed):
        self.account_request = account_request
        self.actions = actions_allowed


def account_requests(account_requests, user):
    """The premises' open requests (with user, premises and submitter loaded) for the
    viewer: no queries beyond the viewer's scope."""
    return [
        AccountRequestPresenter(account_request, actions.allowed_request(user, account_request))
        for account_request in account_requests
    ]
