"""The admin for Zoho tokens: what it shows (never a secret), revoking, the Self Client page."""

from __future__ import annotations

import re
from datetime import timedelta

import django
import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import formats, timezone

from tests.helpers import assert_cleanup_revokes_the_pending_token
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.models.state import EMPTY_MARK
from zoho_tokens.testing import REVOKE_PATH, TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:zoho_tokens_zohotoken_changelist"
HOUR_MS = 3600 * 1000

# Every five-character slice of these contains "_", which no CSRF token or English word in
# the admin's HTML does: a slice found in a page is a leak, never a coincidence.
CLIENT_SECRET = "Cs7_Kq2_Wd9_Mx4_Zr8_Tj3_Vh6_Lb5_q3Z9"


def secrets_for(n: int) -> dict[str, str]:
    return {
        "refresh_token": f"Rf{n}_Pq7_Gz2_Xw9_Hk4_Ny8_Bd3_Jm6_Ts5_r{n}F4",
        "access_token": f"Ac{n}_Yv2_Qn7_Ld4_Wz9_Kc3_Fh8_Mp5_Sx6_a{n}C7",
        "grant_token": f"Gr{n}_Bw3_Nq8_Zk2_Dv7_Hx4_Pm9_Tc6_Jy5_g{n}R2",
    }


ALL_SECRETS = [CLIENT_SECRET] + [s for n in range(4) for s in secrets_for(n).values()]


def assert_no_secret_in(html: str) -> None:
    """No secret appears whole, nor any five characters of it (the most a mask shows is
    the last four)."""
    for secret in ALL_SECRETS:
        assert secret not in html
        leaked = [secret[i : i + 5] for i in range(len(secret) - 4) if secret[i : i + 5] in html]
        assert leaked == [], f"slices of a secret in the page: {leaked}"


def make_token(
    n: int,
    *,
    user: User | None = None,
    status: str = TokenStatus.ACTIVE,
    expires_in_ms: int = HOUR_MS,
    location: str = "us",
    remote_revoke_pending: bool = False,
) -> ZohoToken:
    token = ZohoToken(
        user=user,
        client_id="1000.TESTCLIENTID",
        status=status,
        location=location,
        accounts_server="https://accounts.zoho.com",
        api_domain="https://www.zohoapis.com",
        expires_at_ms=now_ms() + expires_in_ms,
        remote_revoke_pending=remote_revoke_pending,
        last_refreshed_at=timezone.now() - timedelta(minutes=5),
    )
    token.set_user_name(f"zoho{n}@example.com:700000001")
    token.client_secret = CLIENT_SECRET
    for name, value in secrets_for(n).items():
        setattr(token, name, value)
    token.save()
    return token


@pytest.fixture
def tokens() -> dict[str, ZohoToken]:
    """One token per displayed status, each linked to its own Django user."""
    return {
        "active": make_token(0, user=User.objects.create_user("alice", "alice@corp.example")),
        "expired": make_token(
            1, user=User.objects.create_user("bob", "bob@corp.example"), expires_in_ms=-1000
        ),
        "revoked": make_token(
            2,
            user=User.objects.create_user("carol", "carol@corp.example"),
            status=TokenStatus.REVOKED,
            location="eu",
            remote_revoke_pending=True,
        ),
        "needs_reauth": make_token(
            3,
            user=User.objects.create_user("dave", "dave@corp.example"),
            status=TokenStatus.NEEDS_REAUTH,
        ),
    }


def changelist(admin_client, **params: str) -> str:
    response = admin_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response.content.decode()


def listed(admin_client, **params: str) -> set[int]:
    response = admin_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {token.pk for token in response.context["cl"].result_list}


def change_url(token: ZohoToken) -> str:
    return reverse("admin:zoho_tokens_zohotoken_change", args=[token.pk])


# -- the changelist ------------------------------------------------------------------------


def test_changelist_shows_users_data_centre_and_every_status(admin_client, tokens):
    html = changelist(admin_client)

    for text in (
        "alice",
        "zoho0@example.com:700000001",
        ">eu<",
        ">Active<",
        ">Access expired, refreshable<",
        "Revoked (revocation at Zoho pending)",
        ">Needs re-authorisation<",
    ):
        assert text in html


def column_headers(html: str) -> list[str]:
    """The text of each column header of the changelist's table, as a person reads it."""
    table = html[html.index('id="result_list"') :]
    cells = re.findall(r"<th\b.*?</th>", table[: table.index("</thead>")], re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_changelist_shows_a_checkbox_column_then_the_listed_columns(admin_client, tokens):
    html = changelist(admin_client)

    checkbox, *headers = column_headers(html)
    assert checkbox == ""
    assert 'id="action-toggle"' in html
    assert " | ".join(headers) == (
        "Django user | Zoho user | Data centre | Status | Access token expires | Last refresh"
    )


def test_changelist_shows_no_secret(admin_client, tokens):
    assert_no_secret_in(changelist(admin_client))


@pytest.mark.parametrize("status", ["active", "expired", "revoked", "needs_reauth"])
def test_changelist_filters_by_displayed_status(admin_client, tokens, status):
    assert listed(admin_client, status=status) == {tokens[status].pk}


def test_changelist_offers_the_four_status_filters(admin_client, tokens):
    html = changelist(admin_client)

    for value in ("active", "expired", "revoked", "needs_reauth"):
        assert f'href="?status={value}"' in html


@pytest.mark.skipif(django.VERSION < (5, 0), reason="admin facet counts arrived in Django 5.0")
def test_changelist_with_filter_counts_shows_a_count_per_status(admin_client, tokens):
    html = changelist(admin_client, _facets="True")

    assert "Access expired, refreshable (1)" in html
    assert_no_secret_in(html)


def test_changelist_filters_by_data_centre(admin_client, tokens):
    assert listed(admin_client, location="eu") == {tokens["revoked"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("bob", "expired"), ("carol@corp.example", "revoked"), ("zoho3@example.com", "needs_reauth")],
)
def test_changelist_searches_django_user_and_zoho_user(admin_client, tokens, query, expected):
    assert listed(admin_client, q=query) == {tokens[expected].pk}


def test_changelist_search_never_matches_token_values(admin_client, tokens):
    assert listed(admin_client, q=secrets_for(0)["refresh_token"]) == set()
    assert listed(admin_client, q=secrets_for(0)["access_token"][-4:]) == set()


def test_changelist_filtered_and_searched_pages_show_no_secret(admin_client, tokens):
    for params in ({"status": "active"}, {"location": "eu"}, {"q": "zoho"}):
        assert_no_secret_in(changelist(admin_client, **params))


def test_changelist_links_to_the_self_client_page(admin_client):
    html = changelist(admin_client)

    assert reverse("admin:zoho_tokens_zohotoken_self_client") in html


def test_there_is_no_plain_add_form(admin_client):
    response = admin_client.get(reverse("admin:zoho_tokens_zohotoken_add"))

    assert response.status_code == 403


def test_bulk_delete_is_not_offered(admin_client, tokens):
    actions = admin_client.get(reverse(CHANGELIST)).context["action_form"].fields["action"]

    assert [name for name, _label in actions.choices if name] == ["revoke_selected"]


# -- the change page -----------------------------------------------------------------------


def test_change_page_shows_every_secret_masked_to_its_last_four(admin_client, tokens):
    token = tokens["active"]

    html = admin_client.get(change_url(token)).content.decode()

    assert "\u2022" * 8 + CLIENT_SECRET[-4:] in html
    for value in secrets_for(0).values():
        assert "\u2022" * 8 + value[-4:] in html


@pytest.mark.parametrize("status", ["active", "expired", "revoked", "needs_reauth"])
def test_change_page_shows_no_secret(admin_client, tokens, status):
    response = admin_client.get(change_url(tokens[status]))

    assert response.status_code == 200
    assert_no_secret_in(response.content.decode())


def test_change_page_form_has_no_field_for_a_secret(admin_client, tokens):
    response = admin_client.get(change_url(tokens["active"]))

    assert list(response.context["adminform"].form.fields) == ["user"]


def test_change_page_shows_the_status(admin_client, tokens):
    html = admin_client.get(change_url(tokens["expired"])).content.decode()

    assert "Access expired, refreshable" in html


def test_change_page_says_a_pending_revocation_in_words(admin_client, tokens):
    html = admin_client.get(change_url(tokens["revoked"])).content.decode()

    assert "Revocation at Zoho pending: cleanup_zoho_tokens retries it" in html
    assert "icon-no.svg" not in html


def test_change_page_shows_no_icon_for_a_token_not_being_revoked(admin_client, tokens):
    html = admin_client.get(change_url(tokens["active"])).content.decode()

    assert "icon-no.svg" not in html
    assert "icon-yes.svg" not in html


def test_change_page_marks_every_empty_value_the_same_way(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")  # never refreshed, no grant token, no user

    html = admin_client.get(change_url(token)).content.decode()

    assert html.count(f'<div class="readonly">{EMPTY_MARK}</div>') >= 3
    assert '<div class="readonly">None</div>' not in html
    assert '<div class="readonly">-</div>' not in html


def test_change_page_help_text_shows_the_shape_of_a_zoho_user_name(admin_client, tokens):
    html = admin_client.get(change_url(tokens["active"])).content.decode()

    assert "The Zoho user as the SDK names it: &lt;email&gt;:&lt;org zgid&gt;." in html


def test_changelist_marks_an_empty_value_like_the_change_page(admin_client, fake_zoho):
    connect(fake_zoho, "ann@example.com")  # no Django user, never refreshed

    html = changelist(admin_client)

    assert f'<td class="field-last_refresh">{EMPTY_MARK}</td>' in html
    assert '<td class="field-last_refresh">-</td>' not in html


def test_saving_the_change_page_does_not_undo_a_revocation(admin_client, tokens):
    token = tokens["active"]
    admin_client.get(change_url(token))
    revoke_token(token)  # meanwhile, e.g. the user disconnected
    other = User.objects.create_user("erin")

    admin_client.post(change_url(token), {"user": other.pk})

    row = ZohoToken.objects.get(pk=token.pk)
    assert row.user == other
    assert row.status == TokenStatus.REVOKED
    assert row.access_token_encrypted == ""


# -- revoking --------------------------------------------------------------------------------


def connect(fake_zoho: FakeZoho, email: str) -> ZohoToken:
    fake_zoho.add_user(email)
    code = fake_zoho.issue_code(user=email)
    return connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None).token


def revoke_selected(admin_client, *tokens: ZohoToken):
    return admin_client.post(
        reverse(CHANGELIST),
        {"action": "revoke_selected", "_selected_action": [t.pk for t in tokens], "post": "yes"},
        follow=True,
    )


def revoke_url(token: ZohoToken) -> str:
    return reverse("admin:zoho_tokens_zohotoken_revoke", args=[token.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_revoke_action_posts_each_refresh_token_to_its_accounts_server(admin_client, fake_zoho):
    first, second = connect(fake_zoho, "ann@example.com"), connect(fake_zoho, "ben@example.com")
    refresh_tokens = [first.refresh_token, second.refresh_token]

    revoke_selected(admin_client, first, second)

    for refresh_token in refresh_tokens:
        assert fake_zoho.count(REVOKE_PATH, method="POST", token=refresh_token) == 1
        assert not fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_action_marks_rows_revoked_and_wipes_their_secrets(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")

    revoke_selected(admin_client, token)

    row = ZohoToken.objects.get(pk=token.pk)
    assert row.status == TokenStatus.REVOKED
    assert not row.remote_revoke_pending
    assert [
        row.client_secret_encrypted,
        row.refresh_token_encrypted,
        row.access_token_encrypted,
        row.grant_token_encrypted,
    ] == ["", "", "", ""]


def test_revoke_action_reports_how_many_were_revoked(admin_client, fake_zoho):
    tokens = [connect(fake_zoho, f"user{n}@example.com") for n in range(2)]

    response = revoke_selected(admin_client, *tokens)

    assert messages_of(response) == ["2 Zoho tokens were revoked, here and at Zoho."]


def test_revoke_action_on_a_revoked_token_says_it_was_revoked_already(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    revoke_selected(admin_client, token)

    response = revoke_selected(admin_client, token)

    assert messages_of(response) == [
        "1 Zoho token was already revoked, here and at Zoho; nothing was done to it."
    ]
    assert fake_zoho.count(REVOKE_PATH, method="POST") == 1


def test_revoke_button_on_a_revoked_token_says_it_was_revoked_already(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    revoke_token(token)

    response = admin_client.get(revoke_url(token), follow=True)

    assert response.redirect_chain[-1][0] == change_url(token)
    assert "already revoked" in messages_of(response)[0]


def test_revoke_action_while_zoho_is_down_makes_tokens_unusable_at_once(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")

    revoke_selected(admin_client, token)

    row = ZohoToken.objects.get(pk=token.pk)
    assert not row.is_usable
    assert row.access_token_encrypted == ""
    assert row.remote_revoke_pending
    assert row.refresh_token == refresh_token
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_action_while_zoho_is_down_reports_the_pending_revocation(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    fake_zoho.fail("revoke", "down")

    response = revoke_selected(admin_client, token)

    (pending,) = messages_of(response)
    assert pending.startswith(
        "1 Zoho token can no longer be used here, but is not revoked at Zoho yet"
    )
    assert "cleanup_zoho_tokens will retry" in pending


def test_revocation_pending_from_the_admin_is_finished_by_the_cleanup_command(
    admin_client, fake_zoho
):
    token = connect(fake_zoho, "ann@example.com")
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")
    revoke_selected(admin_client, token)
    fake_zoho.heal()

    assert_cleanup_revokes_the_pending_token(fake_zoho, token.pk, refresh_token)


def test_change_page_revoke_button_leads_to_the_confirmation_page(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")

    html = admin_client.get(change_url(token)).content.decode()

    assert f'<a href="{revoke_url(token)}" id="zoho-tokens-revoke">' in html


def test_revoke_button_asks_for_confirmation_and_changes_nothing(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")

    response = admin_client.get(revoke_url(token))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="zoho-tokens-confirm-revoke"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "ann@example.com" in html
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.ACTIVE
    assert fake_zoho.count(REVOKE_PATH) == 0


def test_revoke_button_post_without_confirmation_changes_nothing(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")

    response = admin_client.post(revoke_url(token))

    assert response.status_code == 200
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.ACTIVE


def test_revoke_button_confirmed_revokes_at_zoho_and_returns_to_the_change_page(
    admin_client, fake_zoho
):
    token = connect(fake_zoho, "ann@example.com")
    refresh_token = token.refresh_token

    response = admin_client.post(revoke_url(token), {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == change_url(token)
    assert not fake_zoho.is_refresh_token_active(refresh_token)
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.REVOKED


def test_revoke_action_asks_for_confirmation_and_changes_nothing(admin_client, fake_zoho):
    first, second = connect(fake_zoho, "ann@example.com"), connect(fake_zoho, "ben@example.com")

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="zoho-tokens-confirm-revoke"' in html
    assert '<input type="hidden" name="action" value="revoke_selected">' in html
    assert "ann@example.com" in html
    assert "ben@example.com" in html
    assert set(ZohoToken.objects.values_list("status", flat=True)) == {TokenStatus.ACTIVE}
    assert fake_zoho.count(REVOKE_PATH) == 0


def test_revoke_url_of_an_unknown_token_is_not_found(admin_client):
    response = admin_client.post(reverse("admin:zoho_tokens_zohotoken_revoke", args=["nope"]))

    assert response.status_code == 404


def test_revoke_button_is_gone_once_zoho_confirmed(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    revoke_token(token)

    html = admin_client.get(change_url(token)).content.decode()

    assert 'id="zoho-tokens-revoke"' not in html


def test_revoke_needs_change_permission(client, fake_zoho):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_zohotoken"))
    client.force_login(viewer)
    token = connect(fake_zoho, "ann@example.com")

    response = client.post(revoke_url(token), {"post": "yes"})

    assert response.status_code == 403
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.ACTIVE


def test_delete_revokes_at_zoho_before_deleting_the_row(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    refresh_token = token.refresh_token

    admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_delete", args=[token.pk]), {"post": "yes"}
    )

    assert fake_zoho.count(REVOKE_PATH, token=refresh_token) == 1
    assert not ZohoToken.objects.filter(pk=token.pk).exists()


def test_delete_while_zoho_is_down_keeps_the_revoked_row_for_the_retry(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    fake_zoho.fail("revoke", "down")

    response = admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_delete", args=[token.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(token)
    row = ZohoToken.objects.get(pk=token.pk)
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending


def test_revoke_pages_show_no_secret(admin_client, fake_zoho):
    token = connect(fake_zoho, "ann@example.com")
    secrets = [token.refresh_token, token.access_token, token.client_secret]
    fake_zoho.fail("revoke", "down")

    response = revoke_selected(admin_client, token)
    pages = response.content.decode() + admin_client.get(change_url(token)).content.decode()

    for secret in secrets:
        assert secret[:-4] not in pages


# -- the Self Client page ----------------------------------------------------------------------

SELF_CLIENT = "admin:zoho_tokens_zohotoken_self_client"


def test_self_client_page_offers_every_data_centre_and_the_configured_accounts_url(
    admin_client, fake_zoho
):
    response = admin_client.get(reverse(SELF_CLIENT))

    choices = dict(response.context["form"].fields["data_centre"].choices)
    assert {"us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk", "accounts_url"} == set(choices)
    assert fake_zoho.url in str(choices["accounts_url"])


def test_self_client_form_exchanges_the_code_and_stores_an_org_token(admin_client, fake_zoho):
    code = fake_zoho.issue_code()  # no redirect URI, like Zoho's Self Client codes

    response = admin_client.post(
        reverse(SELF_CLIENT), {"code": code, "data_centre": "accounts_url"}
    )

    token = ZohoToken.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(token)
    assert token.user is None
    assert token.user_name == fake_zoho.users[0].sdk_user_name
    assert token.accounts_server == fake_zoho.url
    assert fake_zoho.is_refresh_token_active(token.refresh_token)
    assert fake_zoho.count(TOKEN_PATH, grant_type="authorization_code", code=code) == 1


def test_self_client_form_uses_the_self_clients_own_credentials(admin_client, fake_zoho):
    fake_zoho.add_client("1000.SELFCLIENT", "self-client-secret")
    code = fake_zoho.issue_code(client_id="1000.SELFCLIENT")

    response = admin_client.post(
        reverse(SELF_CLIENT),
        {
            "code": code,
            "data_centre": "accounts_url",
            "client_id": "1000.SELFCLIENT",
            "client_secret": "self-client-secret",
        },
    )

    token = ZohoToken.objects.get()
    assert response.status_code == 302
    assert token.client_id == "1000.SELFCLIENT"
    assert token.client_secret == "self-client-secret"
    assert "self-client-secret" not in response.content.decode()


def test_self_client_form_wants_both_id_and_secret_or_neither(admin_client, fake_zoho):
    response = admin_client.post(
        reverse(SELF_CLIENT),
        {"code": fake_zoho.issue_code(), "data_centre": "accounts_url", "client_id": "1000.X"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert ZohoToken.objects.count() == 0


def test_self_client_form_shows_invalid_code_and_stores_nothing(admin_client, fake_zoho):
    code = fake_zoho.issue_code()
    connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None)  # spends it
    ZohoToken.objects.all().delete()

    response = admin_client.post(
        reverse(SELF_CLIENT), {"code": code, "data_centre": "accounts_url"}
    )

    assert response.status_code == 200
    assert "invalid_code" in " ".join(response.context["form"].errors["code"])
    assert ZohoToken.objects.count() == 0


def test_self_client_form_shows_zoho_failures_and_stores_nothing(admin_client, fake_zoho):
    fake_zoho.fail("exchange", "http_500")

    response = admin_client.post(
        reverse(SELF_CLIENT), {"code": fake_zoho.issue_code(), "data_centre": "accounts_url"}
    )

    assert response.status_code == 200
    assert "HTTP 500" in " ".join(response.context["form"].non_field_errors())
    assert ZohoToken.objects.count() == 0


def test_self_client_page_never_echoes_the_code(admin_client, fake_zoho):
    fake_zoho.fail("exchange", "http_500")
    code = fake_zoho.issue_code()

    response = admin_client.post(
        reverse(SELF_CLIENT), {"code": code, "data_centre": "accounts_url"}
    )

    assert code not in response.content.decode()


def test_self_client_page_needs_add_permission(client, fake_zoho):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_zohotoken"))
    client.force_login(viewer)

    response = client.post(
        reverse(SELF_CLIENT), {"code": fake_zoho.issue_code(), "data_centre": "accounts_url"}
    )

    assert response.status_code == 403
    assert fake_zoho.count(TOKEN_PATH) == 0


def test_the_change_page_shows_the_scopes_zoho_granted(admin_client, fake_zoho):
    code = fake_zoho.issue_code(scopes="ZohoCRM.modules.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ")
    token = connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None).token

    html = admin_client.get(change_url(token)).content.decode()

    assert token.scopes == ["ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ"]
    # Separated by spaces too, so that a long list wraps instead of running off the page.
    assert "ZohoCRM.modules.ALL, ZohoCRM.users.READ, ZohoCRM.org.READ" in html


def test_the_change_page_shows_every_date_in_the_changelists_format(admin_client, fake_zoho):
    token = connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token
    ZohoToken.objects.filter(pk=token.pk).update(last_refreshed_at=token.created_at)
    short = formats.date_format(timezone.localtime(token.created_at), "SHORT_DATETIME_FORMAT")
    long = formats.date_format(timezone.localtime(token.created_at), "DATETIME_FORMAT")

    html = admin_client.get(change_url(token)).content.decode()

    # created, updated, status since and last refresh: the same moment, one format.
    assert html.count(short) >= 4
    assert long not in html


@pytest.mark.parametrize(
    ("page", "name"),
    [
        (lambda token: revoke_url(token), "Revoke"),
        (lambda token: reverse(SELF_CLIENT), "Add from Self Client grant code"),
    ],
    ids=["revoke", "self-client"],
)
def test_the_apps_own_admin_pages_lead_back_to_the_token_list(admin_client, fake_zoho, page, name):
    token = connect(fake_zoho, "ann@example.com")

    html = admin_client.get(page(token)).content.decode()

    crumbs = html.split('<div class="breadcrumbs">')[1].split("</div>")[0]
    assert f'href="{reverse(CHANGELIST)}"' in crumbs
    assert crumbs.rstrip().endswith(f"&rsaquo; {name}")
