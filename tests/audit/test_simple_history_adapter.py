"""simple-history's behaviour that audit/simple_history_adapter.py follows, pinned on the pinned version."""

from __future__ import annotations

import inspect

import pytest
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from audit import simple_history_adapter as adapter
from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_the_installed_simple_history_is_the_pinned_one():
    assert adapter.installed_version() == adapter.PINNED, (
        "simple-history changed: check audit/simple_history_adapter.py against the new "
        "HistoricalRecords.create_historical_record, then move PINNED"
    )


def test_the_upstream_steps_the_adapter_repeats_are_still_there():
    """The upstream method still reads and sends what the adapter reads and sends."""
    source = inspect.getsource(HistoricalRecords.create_historical_record)
    for step in (
        "get_history_user",
        "get_change_reason_for_object",
        "fields_included",
        "history_relation",
        "pre_create_historical_record.send",
        "post_create_historical_record.send",
        "create_historical_record_m2ms",
        "_history_date",
    ):
        assert step in source, step


def test_a_save_makes_one_row_with_both_signals_around_it():
    sent = []

    def pre(sender, history_instance, **kwargs):
        sent.append(("pre", history_instance.pk))

    def post(sender, history_instance, **kwargs):
        sent.append(("post", history_instance.pk))

    pre_create_historical_record.connect(pre, dispatch_uid="adapter-pre")
    post_create_historical_record.connect(post, dispatch_uid="adapter-post")
    try:
        patient = PatientFactory(name="Asha")
        patient.name = "Asha Devi"
        patient.save()
    finally:
        pre_create_historical_record.disconnect(dispatch_uid="adapter-pre")
        post_create_historical_record.disconnect(dispatch_uid="adapter-post")
    rows = list(Patient.history.filter(id=patient.pk).order_by("history_id"))
    assert [(r.history_type, r.name) for r in rows] == [("+", "Asha"), ("~", "Asha Devi")]
    assert [kind for kind, _ in sent] == ["pre", "post", "pre", "post"]
    assert sent[0][1] is None and sent[1][1] == rows[0].history_id  # pre: unsaved; post: saved


def test_the_history_model_is_the_one_the_manager_serves():
    """The adapter reads the model from simple-history's descriptor instead of building its manager."""
    assert adapter.history_model(Patient, "history") is Patient.history.model
    assert inspect.getattr_static(Patient, "history").model is Patient.history.model
