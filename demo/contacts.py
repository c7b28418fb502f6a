"""Demo contacts: realistic companies with persons, salespeople and contact groups.

Fast enough for a 1,000,000-contact benchmark data set: rows are generated as plain tuples and written with
multi-row INSERT statements (no model instances), numbers are reserved from the series as one range, and the
many-to-many rows are written the same way. Idempotent: it only tops up to the requested number.
"""

import random
import time
from collections.abc import Callable

from django.db import connection, transaction

from crm.models import Contact, IndustryGroup, JobResponsibility, MailingGroup, Salesperson
from crm.numbering import reserve_numbers

BATCH = 10_000
PERSONS_PER_COMPANY = 4

SALESPEOPLE = [
    ("AH", "Annette Hill", "annette.hill@northwind.example", "+44 20 7946 0101"),
    ("JO", "Jim Olive", "jim.olive@northwind.example", "+44 20 7946 0102"),
    ("PS", "Peter Saddow", "peter.saddow@northwind.example", "+44 20 7946 0103"),
    ("BD", "Bart Duncan", "bart.duncan@northwind.example", "+49 30 5555 0104"),
    ("MK", "Marta Kowalska", "marta.kowalska@northwind.example", "+48 22 555 0105"),
]
MAILING_GROUPS = [
    ("NEWS", "Monthly newsletter"),
    ("GIFT", "Christmas gift"),
    ("EVENT", "Trade fair invitations"),
    ("PRESS", "Press releases"),
    ("VIP", "Key accounts"),
]
INDUSTRY_GROUPS = [
    ("RETAIL", "Retail"),
    ("MANUF", "Manufacturing"),
    ("WHOLESALE", "Wholesale"),
    ("SERVICE", "Services"),
    ("HOSPIT", "Hospitality"),
    ("PUBLIC", "Public sector"),
]
JOB_RESPONSIBILITIES = [
    ("PURCHASE", "Purchasing"),
    ("SALE", "Sales"),
    ("MARKETING", "Marketing"),
    ("IT", "IT"),
    ("BOSS", "Management"),
    ("FINANCE", "Finance"),
]
# (city, post code prefix, country, language)
PLACES = [
    ("Berlin", "10", "DE", "de"),
    ("Hamburg", "20", "DE", "de"),
    ("Munich", "80", "DE", "de"),
    ("Cologne", "50", "DE", "de"),
    ("London", "EC", "GB", "en"),
    ("Manchester", "M", "GB", "en"),
    ("Leeds", "LS", "GB", "en"),
    ("Dublin", "D0", "IE", "en"),
    ("Vienna", "10", "AT", "de"),
    ("Zurich", "80", "CH", "de"),
    ("Amsterdam", "10", "NL", "nl"),
    ("Copenhagen", "1", "DK", "da"),
    ("Paris", "75", "FR", "fr"),
    ("Lyon", "69", "FR", "fr"),
    ("Madrid", "28", "ES", "es"),
    ("Warsaw", "00", "PL", "pl"),
    ("New York", "100", "US", "en"),
    ("Chicago", "606", "US", "en"),
]
COMPANY_WORDS_A = [
    "Adatum",
    "Alpine",
    "Blue",
    "Cannon",
    "Coho",
    "Contoso",
    "Fabrikam",
    "Fourth",
    "Graphic",
    "Litware",
    "Lucerne",
    "Margie's",
    "Northwind",
    "Proseware",
    "Southridge",
    "Tailspin",
    "Trey",
    "Wide World",
    "Wingtip",
    "Woodgrove",
    "Humongous",
    "Consolidated",
    "Olympic",
    "Lakeshore",
    "Ridgeway",
    "Harbour",
    "Silverline",
]
COMPANY_WORDS_B = [
    "Furniture",
    "Logistics",
    "Bakery",
    "Motors",
    "Textiles",
    "Hotels",
    "Engineering",
    "Pharma",
    "Outfitters",
    "Studios",
    "Foods",
    "Breweries",
    "Systems",
    "Trading",
    "Electrics",
    "Design",
    "Gardens",
    "Printing",
]
COMPANY_SUFFIX = ["Ltd", "GmbH", "Inc.", "AG", "B.V.", "S.A.", "& Co.", "plc"]
FIRST_NAMES = [
    ("Anna", "Ms"),
    ("Ben", "Mr"),
    ("Clara", "Ms"),
    ("David", "Mr"),
    ("Eva", "Ms"),
    ("Felix", "Mr"),
    ("Greta", "Ms"),
    ("Hugo", "Mr"),
    ("Ida", "Ms"),
    ("Jonas", "Mr"),
    ("Karin", "Ms"),
    ("Lukas", "Mr"),
    ("Maria", "Ms"),
    ("Noah", "Mr"),
    ("Olivia", "Ms"),
    ("Paul", "Mr"),
    ("Rosa", "Ms"),
    ("Simon", "Mr"),
    ("Tara", "Ms"),
    ("Viktor", "Mr"),
    ("Wanda", "Ms"),
    ("Yusuf", "Mr"),
    ("Zoe", "Ms"),
    ("Amir", "Mr"),
]
LAST_NAMES = [
    "Smith",
    "Müller",
    "Jones",
    "Schmidt",
    "Brown",
    "Fischer",
    "Taylor",
    "Weber",
    "Wilson",
    "Meyer",
    "Evans",
    "Wagner",
    "Thomas",
    "Becker",
    "Roberts",
    "Hoffmann",
    "Walker",
    "Schulz",
    "Wright",
    "Koch",
    "O'Brien",
    "Dubois",
    "García",
    "Nowak",
    "Jensen",
    "de Vries",
    "Rossi",
    "Novak",
    "Kowalski",
    "Andersen",
]
STREETS = ["High Street", "Station Road", "Hauptstraße", "Church Lane", "Market Square", "Bahnhofstraße", "Mill Road"]
JOB_TITLES = ["Purchasing Manager", "Managing Director", "Sales Manager", "Marketing Lead", "IT Manager", "Buyer"]

CONTACT_COLUMNS = (
    "no",
    "type",
    "name",
    "company_id",
    "job_title",
    "salutation",
    "email",
    "phone",
    "mobile",
    "address",
    "address_2",
    "city",
    "post_code",
    "country_code",
    "language_code",
    "salesperson_id",
    "correspondence_type",
    "exclude_from_segment",
    "privacy_blocked",
    "created_at",
)


def seed_reference_data() -> dict[str, list[int]]:
    """Salespeople and contact groups (get or create). Returns their ids by kind."""
    for code, name, email, phone in SALESPEOPLE:
        Salesperson.objects.get_or_create(code=code, defaults={"name": name, "email": email, "phone": phone})
    for model, rows in (
        (MailingGroup, MAILING_GROUPS),
        (IndustryGroup, INDUSTRY_GROUPS),
        (JobResponsibility, JOB_RESPONSIBILITIES),
    ):
        for code, description in rows:
            model.objects.get_or_create(code=code, defaults={"description": description})
    return {
        "salespeople": list(Salesperson.objects.order_by("id").values_list("id", flat=True)),
        "mailing": list(MailingGroup.objects.order_by("id").values_list("id", flat=True)),
        "industry": list(IndustryGroup.objects.order_by("id").values_list("id", flat=True)),
        "jobs": list(JobResponsibility.objects.order_by("id").values_list("id", flat=True)),
    }


def seed_contacts(target: int, *, progress: Callable[[int, int], None] | None = None, seed: int = 2026) -> int:
    """Top the contact table up to `target` rows (companies with persons). Returns how many were added."""
    ids = seed_reference_data()
    existing = Contact.objects.count()
    missing = max(0, target - existing)
    if not missing:
        return 0
    rng = random.Random(seed + existing)
    added = 0
    started = time.monotonic()
    while added < missing:
        chunk = min(BATCH, missing - added)
        _insert_chunk(chunk, rng, ids)
        added += chunk
        if progress:
            progress(added, missing)
    if progress and time.monotonic() - started > 1:
        progress(missing, missing)
    return added


def _insert_chunk(count: int, rng: random.Random, ids: dict[str, list[int]]) -> None:
    """Insert `count` contacts: companies first, then their persons, then the group memberships."""
    companies = max(1, count // (PERSONS_PER_COMPANY + 1))
    persons = count - companies
    numbers = reserve_numbers("contact", count)
    now = _now()
    with transaction.atomic():
        company_rows = []
        for index in range(companies):
            city, post_prefix, country, language = rng.choice(PLACES)
            name = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)} {rng.choice(COMPANY_SUFFIX)}"
            domain = numbers[index].lower()
            company_rows.append(
                (
                    numbers[index],
                    "company",
                    name,
                    None,
                    "",
                    "Dear Sir or Madam",
                    f"info@{domain}.example",
                    f"+{rng.randint(30, 49)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}",
                    "",
                    f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                    "",
                    city,
                    f"{post_prefix}{rng.randint(100, 999)}",
                    country,
                    language,
                    rng.choice(ids["salespeople"]),
                    rng.choice(["", "", "hard_copy", "email"]),
                    rng.random() < 0.02,
                    False,
                    now,
                )
            )
        _executemany("crm_contact", CONTACT_COLUMNS, company_rows)
        company_ids = _ids_for(numbers[:companies])
        person_rows = []
        for offset in range(persons):
            company_index = offset % companies
            company = company_rows[company_index]
            first, title = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            no = numbers[companies + offset]
            has_email = rng.random() < 0.85
            person_rows.append(
                (
                    no,
                    "person",
                    f"{first} {last}",
                    company_ids[company_index],
                    rng.choice(JOB_TITLES),
                    f"Dear {title} {last}",
                    f"{first.lower()}.{no.lower()}@{company[0].lower()}.example" if has_email else "",
                    company[7],
                    f"+{rng.randint(30, 49)} 1{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
                    company[9],
                    "",
                    company[11],
                    company[12],
                    company[13],
                    company[14],
                    company[15],
                    rng.choice(["", "hard_copy", "email", "email"]),
                    rng.random() < 0.03,
                    rng.random() < 0.01,
                    now,
                )
            )
        _executemany("crm_contact", CONTACT_COLUMNS, person_rows)
        person_ids = _ids_for(numbers[companies:])
        all_ids = company_ids + person_ids
        mailing_rows = [
            (contact_id, group_id)
            for contact_id in all_ids
            for group_id in rng.sample(ids["mailing"], k=rng.choice([0, 0, 1, 1, 2]))
        ]
        _executemany("crm_contact_mailing_groups", ("contact_id", "mailinggroup_id"), mailing_rows)
        industry_rows = [(company_id, rng.choice(ids["industry"])) for company_id in company_ids]
        _executemany("crm_contact_industry_groups", ("contact_id", "industrygroup_id"), industry_rows)
        job_rows = [(person_id, rng.choice(ids["jobs"])) for person_id in person_ids if rng.random() < 0.7]
        _executemany("crm_contact_job_responsibilities", ("contact_id", "jobresponsibility_id"), job_rows)


def _now():
    from django.utils import timezone

    return timezone.now()


def _executemany(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain tuples with multi-row INSERT … VALUES statements.

    Several times faster than bulk_create for a million rows (no model instances), and than executemany, which
    costs a round trip per row on PostgreSQL. 500 rows per statement stays under both databases' parameter limits.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(head + ", ".join([one] * len(chunk)), [value for row in chunk for value in row])


def _ids_for(numbers: list[str]) -> list[int]:
    """The ids of the contacts with these numbers, in the same order."""
    by_no = dict(Contact.objects.filter(no__in=numbers).values_list("no", "id"))
    return [by_no[no] for no in numbers]
