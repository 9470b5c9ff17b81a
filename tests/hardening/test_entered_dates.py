"""Every date or datetime a person enters lies from 1900 to 2999, as every date parameter does.

A camp stored at 9999-12-31 made its report fail (the range's day after overflowed); a user's
"date joined" saved in admin as 0001-01-01 was stored as year 0 in UTC, which no `datetime`
reads back: each sign-in with that username, the user list and the reports were 500s after it.
The parameters were bounded (core.params.date_value), and here the dates entered are: each
date or datetime field of an admin form or of a body the API takes carries
core.params.within_dates, so the API and admin's forms both refuse them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from accounts.models import User
from camps.models import MedicalCamp
from core.params import within_dates
from pharmacy.models import StockBatch
from tests.factories import MedicineFactory, UserFactory


def admin_forms(user: Any) -> list[Any]:
    """Each form class admin's add and change pages (their inlines included) show `user`."""
    request = RequestFactory().get("/admin/")
    request.user = user
    found = []
    for model, model_admin in admin.site._registry.items():
        for obj in (None, model()):
            inlines = model_admin.get_inline_instances(request, obj)
            found += [model_admin.get_form(request, obj), *(i.get_formset(request, obj).form for i in inlines)]
    return found


def admin_date_fields(user: Any) -> dict[str, list[Any]]:
    """Each date or datetime field of a model that an admin form shows `user`, by label, with the
    validators of its model field."""
    found = {}
    for form in admin_forms(user):
        meta = form._meta.model._meta
        for name in form.base_fields:
            field = next((f for f in meta.get_fields() if f.name == name), None)
            if isinstance(field, models.DateField):  # DateTimeField is one too
                found[f"{meta.label}.{name}"] = field.validators
    return found


def api_date_fields() -> dict[str, list[Any]]:
    """Each date or datetime field the API takes in a body (nested ones too), by route and name."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()  # drf-spectacular's own walk over the routes
    found: dict[str, list[Any]] = {}
    for path, _regex, method, callback in generator.endpoints:
        if method in ("POST", "PUT", "PATCH"):
            body = generator.create_view(callback, method).schema.get_request_serializer()
            if body is not None:
                _walk(body() if isinstance(body, type) else body, f"{method} {path}", found)
    return found


def _walk(field: Any, where: str, found: dict[str, list[Any]]) -> None:
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListSerializer | serializers.ListField | serializers.DictField):
        _walk(field.child, where, found)
    elif isinstance(field, serializers.Serializer):
        for name, inner in field.fields.items():
            _walk(inner, f"{where} {name}", found)
    elif isinstance(field, serializers.DateField | serializers.DateTimeField):
        found[where] = field.validators


@pytest.mark.django_db
def test_every_date_a_person_enters_is_bounded():
    in_admin = admin_date_fields(UserFactory(is_superuser=True))
    expected = {"camps.MedicalCamp.date", "pharmacy.StockBatch.expiry_date", "accounts.User.date_joined"}
    assert expected | {"accounts.User.last_login"} <= set(in_admin)
    in_api = api_date_fields()
    assert {"POST /api/v1/camps/ date", "POST /api/v1/medicines/{pk}/batches/ expiry_date"} <= set(in_api)
    for label, validators in {**in_admin, **in_api}.items():
        assert within_dates in validators, f"{label} takes any date"


@pytest.mark.parametrize(
    ("value", "bounded"),
    [
        (dt.date(1900, 1, 1), True),
        (dt.datetime(2999, 12, 31, 23, 59, tzinfo=dt.UTC), True),
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), False),
        (dt.datetime(1899, 12, 31, 23, 59), False),
        (dt.date(3000, 1, 1), False),
    ],
)
def test_within_dates_takes_dates_and_datetimes(value, bounded):
    try:
        within_dates(value)
    except Exception as refused:  # a ValidationError, with the bounds, and nothing else
        assert not bounded and refused.messages == ["Enter a date from 1900-01-01 to 2999-12-31."]
    else:
        assert bounded


def _user_form(user: User) -> dict[str, str]:
    """What admin's change form of `user` posts when nothing is changed."""
    joined, last = user.date_joined.astimezone(), user.last_login.astimezone()
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": last.date().isoformat(),
        "last_login_1": last.strftime("%H:%M:%S"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["date_joined", "last_login"])
def test_admins_user_form_refuses_year_one_and_nothing_changes(client, field):
    client.force_login(UserFactory(is_superuser=True))
    user = UserFactory(last_login=dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC))
    page = f"/admin/accounts/user/{user.pk}/change/"
    form = _user_form(user)
    assert client.post(page, {**form, "first_name": "Asha"}).status_code == 302  # the form is whole
    before = User.objects.values().get(pk=user.pk)
    response = client.post(page, {**form, f"{field}_0": "0001-01-01", f"{field}_1": "00:00:00"})
    assert response.status_code == 200  # the form again, with its error
    assert "Enter a date from 1900-01-01 to 2999-12-31." in response.content.decode()
    assert User.objects.values().get(pk=user.pk) == before
    assert client.get("/admin/accounts/user/").status_code == 200


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
