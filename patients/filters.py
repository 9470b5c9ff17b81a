"""The patient list's filters: book number, name, area, phone."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from patients.models import Patient
from patients.services import normalize_book_no


class PatientFilter(django_filters.FilterSet):
    """book number exact; name and area partial; phone by its digits."""

    search = django_filters.CharFilter(method="filter_search", max_length=200)
    book_no = django_filters.CharFilter(method="filter_book_no", max_length=32)
    name = django_filters.CharFilter(lookup_expr="folds", max_length=200)
    area = django_filters.CharFilter(lookup_expr="folds", max_length=120)
    phone = django_filters.CharFilter(method="filter_phone", max_length=20)

    class Meta:
        model = Patient
        fields = ["search", "book_no", "name", "area", "phone"]

    def filter_search(self, queryset: QuerySet[Patient], name: str, value: str) -> QuerySet[Patient]:
        return queryset.filter(Q(name__folds=value) | Q(book_no=normalize_book_no(value)))

    def filter_book_no(self, queryset: QuerySet[Patient], name: str, value: str) -> QuerySet[Patient]:
        return queryset.filter(book_no=normalize_book_no(value))

    def filter_phone(self, queryset: QuerySet[Patient], name: str, value: str) -> QuerySet[Patient]:
        digits = "".join(ch for ch in value if ch.isdigit())
        return queryset.filter(phone__contains=digits) if digits else queryset.none()
