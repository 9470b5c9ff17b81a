"""Every date a person enters lies from 1900 to 2999, as every date parameter does.

A camp stored at 9999-12-31 made its report fail (the range's day after overflowed); the
parameters were bounded (core.params.date_value), and here the dates entered are: each model
date field carries core.params.within_dates, so the API and admin's forms both refuse them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from camps.models import MedicalCamp
from core.params import within_dates
from pharmacy.models import StockBatch
from tests.factories import MedicineFactory

PROJECT_APPS = {"accounts", "audit", "camps", "consultations", "core", "patients", "pharmacy"}


def entered_date_fields() -> list[str]:
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            if isinstance(field, models.DateField) and field.editable and not auto:
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_every_date_a_person_enters_is_bounded():
    fields = entered_date_fields()
    assert "camps.MedicalCamp.date" in fields and "pharmacy.StockBatch.expiry_date" in fields
    for label in fields:
        app_model, name = label.rsplit(".", 1)
        field = apps.get_model(app_model)._meta.get_field(name)
        timestamps = isinstance(field, models.DateTimeField)  # set by the app, never typed: audit, history
        assert timestamps or within_dates in field.validators, f"{label} takes any date"


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_the_api_refuses_a_far_camp_date_and_a_far_expiry(client_for, admin_user, pharmacist, day):
    camp = {"name": "Far camp", "date": day, "location": "Kothur"}
    response = client_for(admin_user).post("/api/v1/camps/", camp, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"date"}, response.json()
    medicine = MedicineFactory()
    batch = {"batch_no": "far-1", "expiry_date": day, "quantity": 10}
    response = client_for(pharmacist).post(f"/api/v1/medicines/{medicine.pk}/batches/", batch, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"expiry_date"}, response.json()
    assert not MedicalCamp.objects.exists() and not StockBatch.objects.exists()


@pytest.mark.django_db
def test_admins_form_refuses_a_far_camp_date_and_keeps_what_was_typed(client, admin_user):
    client.force_login(admin_user)
    form = {"name": "Far camp", "date": "9999-12-31", "location": "Kothur", "expected_patients": "0"}
    form.update({"attended_patients": "0", "status": "planned", "language": "en"})
    response = client.post("/admin/camps/medicalcamp/add/", form)
    assert response.status_code == 200  # the form again, with its error
    assert "Enter a date from 1900-01-01 to 2999-12-31." in response.content.decode()
    assert 'value="Far camp"' in response.content.decode()
    assert not MedicalCamp.objects.exists()
