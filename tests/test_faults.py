"""The fault matrix: each fault on the lab cluster, the VIP downtime a client sees, a budget
derived from the spec's timing, and a healthy cluster afterwards."""

from __future__ import annotations

import pytest

import labtools
from lab import faults
from labtools import LAYOUT

pytestmark = [pytest.mark.lab, pytest.mark.fault]


@pytest.mark.parametrize("fault", list(faults.FAULTS))
def test_vip_survives(cluster_deploys: labtools.Deploys, fault: str) -> None:
    outage, broken = faults.measure(LAYOUT, fault)
    try:
        budget = faults.budget_s(LAYOUT, fault)
        assert outage.recovered, f"{fault}: the VIP did not answer again ({outage})"
        assert outage.disturbed_s <= budget, f"{fault}: {outage} over the {budget} s budget"
    finally:
        faults.recover(LAYOUT, fault, broken)
