"""The password rules of OWASP ASVS 4.0 level 1 (V2.1): length, breach lists, no composition rules."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mediaplan.auth.passwords import MIN_LENGTH, check_strength, generate_password
from mediaplan.cli import app
from mediaplan.db import session_scope
from mediaplan.services import users as accounts


@pytest.mark.parametrize("password, why", [
    ("ngắn-quá-1", "ít nhất 12"),  # 10 characters
    ("x" * 129, "dài quá"),
    ("qwertyuiop12", "bị lộ"),  # in the 30,000 most common breached passwords
    ("Password1234", "bị lộ"),  # case does not hide a breached one
    ("qwertyuiopasdf", "dễ đoán"),  # a keyboard walk
    ("aaaaaaaaaaaaaaaa", "dễ đoán"),  # a repeat
])
def test_weak_passwords_are_refused_with_the_reason(password, why):
    with pytest.raises(ValueError, match=why):
        check_strength(password)


def test_the_users_own_name_makes_a_password_guessable():
    check_strength("nguyenthanhhai2026")  # fine for someone else…
    with pytest.raises(ValueError, match="dễ đoán"):
        check_strength("nguyenthanhhai2026", user_inputs=("nguyenthanhhai", "hai@example.org"))


def test_long_passphrases_and_generated_ones_pass_with_no_composition_rule():
    check_strength("ba con mèo ngồi trên mái nhà")  # spaces, no digit, no capital: accepted (ASVS V2.1.9)
    for _ in range(20):
        check_strength(generate_password())
    assert MIN_LENGTH == 12


def test_the_cli_refuses_a_breached_password_and_creates_nothing(db):
    result = CliRunner().invoke(app, ["users", "add", "lan", "--role", "editor", "--password-stdin"],
                                input="password1234\n")
    assert result.exit_code != 0 and "bị lộ" in result.output
    with session_scope() as session:
        assert accounts.find(session, "lan") is None
