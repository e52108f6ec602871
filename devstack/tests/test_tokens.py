"""`mile-dev token` prints a bearer token that services trusting the state dir's JWKS accept."""

from pathlib import Path

import pytest

from mile_devstack.cli import main
from mile_devstack.tokens import DevIssuer
from mile_platform.auth import Authenticator, AuthSettings, Role


async def test_the_printed_token_verifies_against_the_jwks_services_get(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--site", "milan", "--roles", "caseworker,auditor", "--state-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip()
    env = DevIssuer(tmp_path).auth_env()  # the same key, read back from the state dir
    settings = AuthSettings(
        jwks_file=Path(env["MILE_AUTH_JWKS_FILE"]), issuer=env["MILE_AUTH_ISSUER"], audience=env["MILE_AUTH_AUDIENCE"]
    )
    principal = await Authenticator(settings).verify(token)
    assert principal.site == "milan"
    assert principal.roles == {Role.CASEWORKER, Role.AUDITOR}
    assert (tmp_path / "dev-signing-key.pem").stat().st_mode & 0o077 == 0  # the private key is the owner's only
