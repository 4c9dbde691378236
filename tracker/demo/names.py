"""Synthetic identities: names from small built-in lists, ages, heights, e-mail addresses."""

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

# Common first and family names from many countries, combined at random: no real people.
MALE_NAMES = (
    "James",
    "Mohammed",
    "Pieter",
    "Luca",
    "Tomasz",
    "Rahul",
    "Kwame",
    "Daniel",
    "Henrik",
    "Mateo",
    "Oliver",
    "Samuel",
    "Yusuf",
    "Arjun",
    "Liam",
    "Noah",
    "Jonas",
    "Emil",
    "Ibrahim",
    "Hiroshi",
    "Andrzej",
    "Marco",
    "Diego",
    "Felix",
    "Owen",
    "Rory",
    "Stefan",
    "Aidan",
    "Victor",
    "Bram",
    "Ruben",
    "Kenji",
    "Olumide",
    "Tariq",
    "Nikolai",
    "Joaquim",
    "Callum",
    "Anton",
    "Dev",
    "Ewan",
)
FEMALE_NAMES = (
    "Amelia",
    "Fatima",
    "Sofia",
    "Ingrid",
    "Priya",
    "Chloe",
    "Hannah",
    "Aisha",
    "Maria",
    "Elena",
    "Freya",
    "Leah",
    "Zainab",
    "Mei",
    "Anouk",
    "Isla",
    "Nadia",
    "Grace",
    "Ruth",
    "Esther",
    "Yasmin",
    "Clara",
    "Joanna",
    "Ama",
    "Sinead",
    "Lotte",
    "Paula",
    "Ines",
    "Kiri",
    "Beatriz",
    "Harriet",
    "Noor",
    "Martina",
    "Ilse",
    "Rosa",
    "Tamsin",
    "Wen",
    "Alma",
    "Bethan",
    "Nora",
)
FAMILY_NAMES = (
    "Abbott",
    "Achterberg",
    "Adeyemi",
    "Ahmed",
    "Andersen",
    "Bakker",
    "Baptiste",
    "Brennan",
    "Byrne",
    "Castillo",
    "Chowdhury",
    "Costa",
    "Dalton",
    "de Vries",
    "Dijkstra",
    "Eriksen",
    "Fairweather",
    "Fernandes",
    "Gallagher",
    "Garcia",
    "Haddad",
    "Hartley",
    "Holm",
    "Iqbal",
    "Jansen",
    "Kaur",
    "Kowalski",
    "Larsen",
    "Lindqvist",
    "MacLeod",
    "Mahmoud",
    "Marsh",
    "Moreau",
    "Nakamura",
    "Novak",
    "Nowak",
    "Okafor",
    "Osei",
    "Pereira",
    "Petrov",
    "Pham",
    "Quinn",
    "Rahman",
    "Reyes",
    "Rossi",
    "Sandoval",
    "Schmidt",
    "Shah",
    "Sorensen",
    "Tanaka",
    "Thornton",
    "Ueda",
    "van Dam",
    "Varga",
    "Visser",
    "Wainwright",
    "Walsh",
    "Whitfield",
    "Yilmaz",
    "Zielinski",
)
# MMN affects men about 2.7 times as often as women.
MALE_SHARE = 2.7 / 3.7


@dataclass(frozen=True)
class Identity:
    """Who a demo patient is: name, sex, birth date, height, contact."""

    given_name: str
    family_name: str
    sex: str
    birth_date: date
    height_cm: float
    email: str | None
    reminder_consent: bool


def make_identity(rng: Random, *, number: int, today: date) -> Identity:
    """A synthetic person aged 25 to 80 on `today`."""
    sex = "male" if rng.random() < MALE_SHARE else "female"
    given = rng.choice(MALE_NAMES if sex == "male" else FEMALE_NAMES)
    family = rng.choice(FAMILY_NAMES)
    # Onset is usually between 20 and 50 and treatment lasts years: most patients are middle-aged.
    age_days = int(rng.triangular(25.05, 80.95, 52) * 365.25)
    birth = today - timedelta(days=age_days)
    if sex == "male":
        height = min(198.0, max(155.0, round(rng.gauss(177, 7))))
    else:
        height = min(185.0, max(148.0, round(rng.gauss(164, 6.5))))
    email = None
    consent = False
    if rng.random() < 0.65:
        local = f"{given}.{family}".lower().replace(" ", "")
        email = f"{local}{number % 100}@example.org"
        consent = rng.random() < 0.85
    return Identity(given, family, sex, birth, float(height), email, consent)
