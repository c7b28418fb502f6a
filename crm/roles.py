"""The three roles (docs/SECURITY.md) as Django groups, with the model permissions each needs.

Used by a data migration (segments/migrations/0002_roles.py, the app at the top of the dependency chain, so
every model's permissions exist) and by tests. Re-running it brings the groups back to this definition.
"""

APPS = ("crm", "interactions", "segments")

PRIVATE_VIEWS = ("view_auditevent",)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Viewer": [],
    "Sales": [
        "crm.add_contact",
        "crm.change_contact",
        "crm.delete_contact",
        "crm.add_salesdocument",
        "crm.change_salesdocument",
        "crm.print_salesdocument",
        "crm.add_salesdocumentline",
        "crm.change_salesdocumentline",
        "crm.delete_salesdocumentline",
        "interactions.add_interactionlogentry",
        "interactions.cancel_interactionlogentry",
    ],
    "Marketing": [
        "crm.add_contact",
        "crm.change_contact",
        "crm.add_mailinggroup",
        "crm.change_mailinggroup",
        "crm.add_salutation",
        "crm.change_salutation",
        "crm.delete_salutation",
        "crm.add_salutationformula",
        "crm.change_salutationformula",
        "crm.delete_salutationformula",
        "crm.view_auditevent",
        "interactions.add_interactiongroup",
        "interactions.change_interactiongroup",
        "interactions.delete_interactiongroup",
        "interactions.add_interactiontemplate",
        "interactions.change_interactiontemplate",
        "interactions.delete_interactiontemplate",
        "interactions.add_interactiontemplatelanguage",
        "interactions.change_interactiontemplatelanguage",
        "interactions.delete_interactiontemplatelanguage",
        "interactions.add_interactiontemplatesetup",
        "interactions.change_interactiontemplatesetup",
        "interactions.delete_interactiontemplatesetup",
        "interactions.add_interactionlogentry",
        "interactions.cancel_interactionlogentry",
        "interactions.delete_interactionlogentry",
        "interactions.change_loggedsegment",
        "interactions.delete_loggedsegment",
        "segments.add_segment",
        "segments.change_segment",
        "segments.delete_segment",
        "segments.log_segment",
        "segments.add_segmentline",
        "segments.change_segmentline",
        "segments.delete_segmentline",
        "segments.add_savedsegmentcriteria",
        "segments.change_savedsegmentcriteria",
        "segments.delete_savedsegmentcriteria",
    ],
}


def sync_roles(group_model, permission_model) -> None:
    """Create or reset the role groups: every role may view everything, plus its own permissions."""
    # Everyone may view everything except the audit trail, which is Marketing's (docs/BEHAVIOUR.md §13).
    view_all = list(
        permission_model.objects.filter(content_type__app_label__in=APPS, codename__startswith="view_").exclude(
            codename__in=PRIVATE_VIEWS
        )
    )
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = list(view_all)
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
