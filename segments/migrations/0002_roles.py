from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from django.apps import apps as global_apps

    from crm.roles import APPS, sync_roles

    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_label in APPS:
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, apps=apps)
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0001_initial"),
        ("interactions", "0001_initial"),
        ("segments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
