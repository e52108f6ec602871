"""Who reads reporting: programme managers, auditors and admins; a city's token sees only that city."""

import pytest

from .conftest import CONSORTIUM, Reporting

pytestmark = pytest.mark.integration
READS = ("/reports/funnel", "/reports/indicators", "/reports/indicators.csv", "/reports/stages", "/reports/outcomes",
         "/reports/trends", "/reports/dashboard")  # fmt: skip


async def test_every_report_needs_a_readers_token_but_probes_stay_open(reporting: Reporting) -> None:
    http = reporting.http
    for path in READS:
        anonymous = await http.get(path, headers={"Authorization": ""})
        assert anonymous.status_code == 401, path
        assert anonymous.headers["content-type"] == "application/problem+json"
        forged = await http.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401, path
        caseworker = await http.get(path, headers=reporting.auth(reporting.city, "caseworker"))
        assert caseworker.status_code == 403, path
        for role in ("programme_manager", "auditor", "admin"):
            assert (await http.get(path, headers=reporting.auth(CONSORTIUM, role))).status_code == 200, (path, role)
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert (await http.get(probe, headers={"Authorization": ""})).status_code == 200, probe


async def test_a_city_token_sees_its_own_city_only_and_the_consortium_sees_all(reporting: Reporting) -> None:
    http, city = reporting.http, reporting.city
    own = reporting.auth(city, "auditor")

    funnel = await http.get("/reports/funnel", headers=own)
    assert funnel.json()["city"] == city  # not the overview of every city
    for path in READS:
        other = await http.get(path, params={"city": "otherplace"}, headers=own)
        assert other.status_code == 403, path
        assert "otherplace" in other.json()["title"]
    indicators = (await http.get("/reports/indicators", headers=own)).json()
    assert indicators["city"] == city
    assert (await http.get("/reports/trends", headers=own)).json()["city"] == city
    dashboard = await http.get("/reports/dashboard", headers=own)
    assert f"funnel:{city}" in dashboard.text and "funnel:otherplace" not in dashboard.text

    overview = (await http.get("/reports/funnel")).json()  # the consortium's token
    assert "cities" in overview and "total" in overview
    assert (await http.get("/reports/funnel", params={"city": "otherplace"})).json()["city"] == "otherplace"
