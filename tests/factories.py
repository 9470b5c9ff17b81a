"""factory_boy factories for every model; realistic and consistent camp data."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group

from accounts.models import User

PASSWORD = "Camp-Day-Secret-42!"  # every test user's password; the session secret scan looks for it


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@camp.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    is_staff = True

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.save()
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=list(extracted)))
            self.__dict__.pop("_role_names", None)
