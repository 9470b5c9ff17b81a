"""Create the role groups. Their model permissions are synchronised after every migrate
(accounts.roles.sync_role_permissions), since later apps' permissions exist only then."""

from django.db import migrations

ROLES = ("admin", "doctor", "pharmacist", "volunteer", "counsellor", "auditor")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, delete_groups)]
