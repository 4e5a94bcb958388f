"""The access commands end to end: users, API tokens, the audit trail, the first admin."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

import onhand
from onhand.domain.access import Role
from onhand.domain.times import parse_time, utcnow
from onhand.services import access
from tests.e2e.runner import Cli, one_error_line

PASSWORD = "correct horse battery"
CLI_ACTOR = f"cli:{getpass.getuser()}"


def logs_in(inv: onhand.Inventory, username: str, password: str) -> bool:
    """Tell whether ``username`` logs in with ``password``."""
    try:
        access.login(inv.unit_of_work(), username=username, password=password,
                     ttl=timedelta(minutes=5))
    except onhand.NotAuthenticated:
        return False
    return True


def usernames(inv: onhand.Inventory) -> list[str]:
    return [user.username for user in access.users(inv.unit_of_work(write=False))]


# --- users ------------------------------------------------------------------------------------


def test_a_user_is_added_with_a_password_from_stdin_and_logs_in(cli: Cli,
                                                                inv: onhand.Inventory) -> None:
    added = cli("user", "add", "alice", "--role", "manager", "--password-stdin",
                input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert added.stdout == "added user alice: role manager\n"
    assert logs_in(inv, "alice", PASSWORD)
    assert not logs_in(inv, "alice", PASSWORD + "!")


def test_a_user_is_added_with_a_password_typed_twice_at_the_prompt(cli: Cli,
                                                                  inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    added = cli("user", "add", "bob", "--role", "client", "--owner", "acme",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output  # the prompt hides what is typed
    assert "added user bob: role client, owner acme" in added.stdout
    assert logs_in(inv, "bob", PASSWORD)


def test_users_are_listed_with_role_owner_and_state_never_a_password(cli: Cli,
                                                                     inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    cli("user", "add", "alice", "--role", "admin", "--password-stdin", input=PASSWORD)
    cli("user", "add", "bob", "--role", "client", "--owner", "acme", "--password-stdin",
        input=PASSWORD)
    listed = json.loads(cli("user", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["owner"], u["disabled"]) for u in listed] == [
        ("alice", "admin", None, False), ("bob", "client", "acme", False)]
    table = cli("user", "list")
    assert table.exit_code == 0 and "bob" in table.stdout and "acme" in table.stdout
    assert PASSWORD not in table.stdout + json.dumps(listed)


def test_a_disabled_user_cannot_log_in_until_enabled_again(cli: Cli,
                                                          inv: onhand.Inventory) -> None:
    cli("user", "add", "alice", "--role", "operator", "--password-stdin", input=PASSWORD)
    assert cli("user", "disable", "alice").exit_code == 0
    assert not logs_in(inv, "alice", PASSWORD)
    assert json.loads(cli("user", "list", "--json").stdout)[0]["disabled"] is True
    assert cli("user", "enable", "alice").exit_code == 0
    assert logs_in(inv, "alice", PASSWORD)


def test_a_new_password_replaces_the_old_one(cli: Cli, inv: onhand.Inventory) -> None:
    cli("user", "add", "alice", "--role", "viewer", "--password-stdin", input=PASSWORD)
    changed = cli("user", "password", "alice", "--password-stdin", input="a new passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert not logs_in(inv, "alice", PASSWORD)
    assert logs_in(inv, "alice", "a new passphrase")


def test_adding_a_user_twice_is_a_conflict(cli: Cli) -> None:
    cli("user", "add", "alice", "--role", "viewer", "--password-stdin", input=PASSWORD)
    again = cli("user", "add", "alice", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert again.exit_code == 5
    assert one_error_line(again) == "error: user 'alice' already exists"


def test_an_unknown_role_is_invalid_input_naming_the_field(cli: Cli,
                                                           inv: onhand.Inventory) -> None:
    result = cli("user", "add", "alice", "--role", "boss", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 4
    assert one_error_line(result).startswith("error: unknown role 'boss'; one of admin, manager")
    assert usernames(inv) == []


def test_a_client_needs_an_owner(cli: Cli, inv: onhand.Inventory) -> None:
    for result in (cli("user", "add", "shopper", "--role", "client", "--password-stdin",
                       input=PASSWORD),
                   cli("token", "create", "shop", "--role", "client")):
        assert result.exit_code == 4, result.output
        assert one_error_line(result) == "error: a client must be scoped to an owner"
    assert usernames(inv) == []
    assert access.tokens(inv.unit_of_work(write=False)) == []


def test_a_short_password_or_an_unknown_user_changes_nothing(cli: Cli,
                                                              inv: onhand.Inventory) -> None:
    short = cli("user", "add", "alice", "--role", "viewer", "--password-stdin", input="short\n")
    assert short.exit_code == 4
    assert "password must have at least 10 characters" in one_error_line(short)
    unknown = cli("user", "password", "nobody", "--password-stdin", input=PASSWORD)
    assert unknown.exit_code == 3
    assert one_error_line(unknown) == "error: unknown user 'nobody'"
    assert usernames(inv) == []


def test_the_last_admin_cannot_be_disabled(cli: Cli, inv: onhand.Inventory) -> None:
    cli("user", "add", "root", "--role", "admin", "--password-stdin", input=PASSWORD)
    result = cli("user", "disable", "root")
    assert result.exit_code == 5
    assert one_error_line(result) == "error: the last admin cannot be disabled"
    assert logs_in(inv, "root", PASSWORD)


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_is_printed_once_and_authenticates_until_revoked(cli: Cli,
                                                                 inv: onhand.Inventory) -> None:
    created = cli("token", "create", "scanner-1", "--role", "operator")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()  # the token alone on standard output
    assert token.startswith("onh_") and "\n" not in token
    assert "will not be shown again" in created.stderr
    caller = access.authenticate(inv.unit_of_work(write=False), token)
    assert (caller.kind, caller.name, caller.role) == ("token", "scanner-1", Role.OPERATOR)
    revoked = cli("token", "revoke", str(caller.id))
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(onhand.NotAuthenticated):
        access.authenticate(inv.unit_of_work(write=False), token)


def test_token_create_json_gives_the_token_and_its_facts(cli: Cli,
                                                        inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    created = cli("token", "create", "shop", "--role", "client", "--owner", "acme",
                  "--expires", "30d", "--json")
    assert created.exit_code == 0, created.output
    facts = json.loads(created.stdout)
    assert set(facts) == {"id", "name", "role", "owner", "expires_at", "token"}
    assert (facts["name"], facts["role"], facts["owner"]) == ("shop", "client", "acme")
    expires = utcnow() + timedelta(days=30)
    assert abs(parse_time(facts["expires_at"]) - expires) < timedelta(minutes=1)
    caller = access.authenticate(inv.unit_of_work(write=False), facts["token"])
    assert (caller.id, caller.owner, caller.role) == (facts["id"], "acme", Role.CLIENT)


def test_an_expiry_is_a_duration_or_an_iso_time_in_the_future(cli: Cli,
                                                             inv: onhand.Inventory) -> None:
    dated = json.loads(cli("token", "create", "ci", "--role", "viewer", "--expires",
                           "2099-12-31T18:00Z", "--json").stdout)
    assert dated["expires_at"] == "2099-12-31T18:00:00+00:00"
    for bad, reason in (("soon", "expires_at is neither a duration"),
                        ("2020-01-01", "expires_at must be an aware time in the future"),
                        ("2099-12-31T18:00", "expires_at must carry a UTC offset")):
        result = cli("token", "create", "ci", "--role", "viewer", "--expires", bad)
        assert result.exit_code == 4, bad
        assert one_error_line(result).startswith(f"error: {reason}")
    assert len(access.tokens(inv.unit_of_work(write=False))) == 1


def test_tokens_are_listed_with_their_state_never_their_secrets(cli: Cli) -> None:
    first = cli("token", "create", "ci", "--role", "viewer").stdout.strip()
    second = cli("token", "create", "erp", "--role", "manager", "--expires", "12h").stdout.strip()
    cli("token", "revoke", first.split("_")[1])
    listed = cli("token", "list", "--json")
    assert [(t["name"], t["role"], t["state"]) for t in json.loads(listed.stdout)] == [
        ("ci", "viewer", "revoked"), ("erp", "manager", "active")]
    table = cli("token", "list")
    for secret in (first, second):
        assert secret.split("_", 2)[2] not in listed.stdout + table.stdout
    assert "revoked" in table.stdout and "erp" in table.stdout


def test_revoking_an_unknown_token_is_not_found(cli: Cli) -> None:
    result = cli("token", "revoke", "99")
    assert result.exit_code == 3
    assert one_error_line(result) == "error: unknown token 99"


# --- the audit trail --------------------------------------------------------------------------


def test_the_audit_trail_lists_every_access_write_by_the_cli_user(cli: Cli,
                                                                  inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    cli("user", "add", "alice", "--role", "admin", "--password-stdin", input=PASSWORD)
    cli("user", "add", "bob", "--role", "client", "--owner", "acme", "--password-stdin",
        input=PASSWORD)
    cli("user", "disable", "bob")
    cli("user", "enable", "bob")
    cli("user", "password", "bob", "--password-stdin", input="a new passphrase")
    token = json.loads(cli("token", "create", "shop", "--role", "client", "--owner", "acme",
                           "--json").stdout)
    cli("token", "revoke", str(token["id"]))
    listed = cli("audit", "--json", "--actor", CLI_ACTOR)  # not the library's test setup
    assert listed.exit_code == 0, listed.output
    entries = json.loads(listed.stdout)
    assert [(e["action"], e["target"], e["owner"]) for e in entries] == [
        ("users.add", "alice", None), ("users.add", "bob", "acme"),
        ("users.disable", "bob", "acme"), ("users.enable", "bob", "acme"),
        ("users.password", "bob", "acme"), ("tokens.create", str(token["id"]), "acme"),
        ("tokens.revoke", str(token["id"]), "acme")]
    assert {e["actor"] for e in entries} == {CLI_ACTOR}
    assert entries[0]["detail"] == {"role": "admin", "owner": None}
    assert entries[5]["detail"]["role"] == "client"
    for secret in (PASSWORD, "a new passphrase", token["token"].split("_", 2)[2]):
        assert secret not in listed.stdout


def test_the_audit_trail_is_filtered_and_paged(cli: Cli) -> None:
    for name in ("ci", "erp", "wms"):
        cli("token", "create", name, "--role", "viewer")
    cli("token", "revoke", "2")

    def actions(*options: str) -> list[tuple[str, str]]:
        result = cli("audit", "--json", *options)
        assert result.exit_code == 0, result.output
        return [(e["action"], e["target"]) for e in json.loads(result.stdout)]

    assert actions("--action", "tokens.revoke") == [("tokens.revoke", "2")]
    first = json.loads(cli("audit", "--json", "--limit", "2").stdout)
    assert actions("--after", str(first[-1]["id"])) == [("tokens.create", "3"),
                                                        ("tokens.revoke", "2")]
    assert actions("--actor", CLI_ACTOR, "--since", "2000-01-01") == actions()
    assert actions("--actor", "user:nobody") == []
    assert actions("--until", "2000-01-01") == []
    table = cli("audit", "--limit", "2")
    assert "tokens.create" in table.stdout and f"--after {first[-1]['id']}" in table.stdout


def test_audit_options_are_checked(cli: Cli) -> None:
    bad_time = cli("audit", "--since", "yesterday")
    assert bad_time.exit_code == 4
    assert one_error_line(bad_time).startswith("error: since is not an ISO 8601 time")
    assert cli("audit", "--limit", "0").exit_code == 4
    assert cli("audit", "--owner", "nobody").exit_code == 3


# --- the first admin --------------------------------------------------------------------------


def test_init_creates_the_first_admin_from_the_environment(
    cli: Cli, inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONHAND_ADMIN_PASSWORD", PASSWORD)
    result = cli("init", "--admin", "root")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "created the first admin: root"
    assert PASSWORD not in result.output
    assert logs_in(inv, "root", PASSWORD)
    assert json.loads(cli("user", "list", "--json").stdout)[0]["role"] == "admin"
    again = cli("init")  # a user exists: init leaves users alone
    assert again.exit_code == 0 and len(again.stdout.splitlines()) == 1
    assert usernames(inv) == ["root"]
    entry = json.loads(cli("audit", "--json", "--action", "users.add").stdout)[0]
    assert (entry["action"], entry["target"], entry["actor"]) == ("users.add", "root", CLI_ACTOR)


def test_init_without_a_password_nor_a_terminal_creates_no_user(
    cli: Cli, inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ONHAND_ADMIN_PASSWORD", raising=False)
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        "no user yet: set ONHAND_ADMIN_PASSWORD and run onhand init again, "
        "or run onhand user add NAME --role admin")
    assert usernames(inv) == []


def test_init_as_a_process_without_a_terminal_does_not_wait_for_input(
    database_url: str, inv: onhand.Inventory,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ONHAND_ADMIN_PASSWORD"}
    ran = subprocess.run([sys.executable, "-m", "onhand", "--db", database_url, "init"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                         check=False, env=env)
    assert ran.returncode == 0, ran.stderr
    assert "no user yet" in ran.stdout
    assert usernames(inv) == []


def test_init_refuses_a_short_admin_password(cli: Cli, inv: onhand.Inventory,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONHAND_ADMIN_PASSWORD", "admin")
    result = cli("init")
    assert result.exit_code == 4
    assert "password must have at least 10 characters" in one_error_line(result)
    assert usernames(inv) == []


# --- serve ------------------------------------------------------------------------------------


def test_serve_help_lists_its_options(cli: Cli) -> None:
    result = cli("serve", "--help")
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--workers", "--demo"):
        assert option in result.stdout

