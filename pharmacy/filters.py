"""The medicine list's filter: part of a name."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from pharmacy.models import Medicine


class MedicineFilter(django_filters.FilterSet):
    """Part of a name. Declared, so its input is validated like a form's (length; no NUL,
    which PostgreSQL refuses in text) and a bad value is a 400."""

    search = django_filters.CharFilter(
        field_name="name", lookup_expr="folds", max_length=120, label=_("part of a medicine's name")
    )

    class Meta:
        model = Medicine
        fields = ["search"]
