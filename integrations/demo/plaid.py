"""Deterministic demo data shaped exactly like Plaid API response bodies (version 2020-09-14).

The app shows this when no Plaid credentials are configured. The bodies go through the same
parsers as live responses, so every object carries the fields plaid-python's models require
(nullable fields are present with None rather than left out).

Everything is derived from `today` and a fixed seed: the same day always gives the same data,
and the history slides along with the calendar so the demo never looks stale.
"""

from __future__ import annotations

import base64
import calendar
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from integrations.common.months import add_months

__all__ = ["DemoPlaidItem", "plaid_demo_items"]

JsonDict = dict[str, Any]

_SEED = 20200914
# Separate streams so that ids of accounts, items and merchants never change with `today`,
# while spending and transaction ids still vary only with the calendar.
_STATIC_SEED = _SEED + 1
_TXN_ID_SEED = _SEED + 2
_LATER_TXN_ID_SEED = _SEED + 3

_PAGE_SIZE = 500
_HISTORY_MONTHS = 24
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM_BYTES = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))  # a byte -> a character
# Fixed rates only used to keep USD card balances plausible after purchases abroad.
_USD_PER_UNIT = {"USD": 1.0, "EUR": 1.09, "GBP": 1.27}

_PRIMARIES = (
    "INCOME",
    "TRANSFER_IN",
    "TRANSFER_OUT",
    "LOAN_PAYMENTS",
    "BANK_FEES",
    "ENTERTAINMENT",
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "HOME_IMPROVEMENT",
    "MEDICAL",
    "PERSONAL_CARE",
    "GENERAL_SERVICES",
    "GOVERNMENT_AND_NON_PROFIT",
    "TRANSPORTATION",
    "TRAVEL",
    "RENT_AND_UTILITIES",
)

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPlaidItem:
    access_token: str  # fake, never accepted by Plaid
    item_get: dict  # body of POST /item/get
    institution: dict  # body of POST /institutions/get_by_id
    accounts_get: dict  # body of POST /accounts/get
    transactions_sync_pages: tuple[dict, ...]  # bodies of POST /transactions/sync, in order
    liabilities_get: dict | None  # body of POST /liabilities/get, None without credit cards


def plaid_demo_items(today: date) -> tuple[DemoPlaidItem, ...]:
    """Two demo Items: a bank with checking, savings, two cards and a student loan; a card
    issuer with one card."""
    return _DemoBuilder(today).build()


# --------------------------------------------------------------------------------------------
# Static description of the demo world
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    address: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str
    lat: float | None
    lon: float | None
    store_number: str | None = None


@dataclass(frozen=True)
class _Merchant:
    key: str
    descriptor: str  # the raw `name` as the bank prints it
    merchant_name: str | None
    detailed: str  # personal_finance_category.detailed; the primary is its prefix
    channel: str  # payment_channel: "online", "in store" or "other"
    website: str | None = None
    place: _Place | None = None
    counterparty_type: str = "merchant"
    confidence: str = "VERY_HIGH"
    ach_role: str | None = None  # "payer" or "payee" fills payment_meta for ACH entries


@dataclass(frozen=True)
class _AccountSpec:
    key: str
    institution: str
    name: str
    official_name: str
    mask: str
    type: str
    subtype: str
    limit_cents: int | None = None


@dataclass(frozen=True)
class _InstitutionSpec:
    key: str
    institution_id: str
    name: str
    url: str
    primary_color: str
    oauth: bool
    products: tuple[str, ...]
    available_products: tuple[str, ...]
    # Some institutions report timestamps, others only dates: the parsers must cope with both.
    reports_datetimes: bool


@dataclass(frozen=True)
class _Habit:
    merchants: tuple[str, ...]
    per_day: float
    low: float
    high: float
    week: tuple[float, ...] = (1.0,) * 7
    hours: tuple[int, int] = (9, 21)
    local: bool = True  # paused while the card holder is abroad


_WEEKDAYS = (1.25, 1.25, 1.25, 1.25, 1.1, 0.5, 0.4)
_WEEKENDS = (0.7, 0.7, 0.8, 0.9, 1.2, 1.7, 1.5)
_EVENINGS_OUT = (0.55, 0.6, 0.8, 1.0, 1.6, 1.9, 1.0)
_EVEN = (1.0,) * 7

_SEATTLE = "Seattle"


def _seattle(address: str, postal: str, lat: float, lon: float, store: str | None = None) -> _Place:
    return _Place(address, _SEATTLE, "WA", postal, "US", lat, lon, store)


_INSTITUTIONS = (
    _InstitutionSpec(
        key="harborline",
        institution_id="ins_demo_1",
        name="Harborline Bank",
        url="https://www.harborline-bank.example",
        primary_color="#0b4f6c",
        oauth=False,
        products=("assets", "auth", "balance", "identity", "liabilities", "transactions"),
        available_products=("assets", "auth", "balance", "identity", "recurring_transactions"),
        reports_datetimes=False,
    ),
    _InstitutionSpec(
        key="juniper",
        institution_id="ins_demo_2",
        name="Juniper Card Services",
        url="https://www.junipercard.example",
        primary_color="#3a7d44",
        oauth=True,
        products=("balance", "identity", "liabilities", "transactions"),
        available_products=("balance", "identity", "recurring_transactions"),
        reports_datetimes=True,
    ),
)

_ACCOUNTS = (
    _AccountSpec(
        "checking",
        "harborline",
        "Everyday Checking",
        "Harborline Everyday Checking",
        "1180",
        "depository",
        "checking",
    ),
    _AccountSpec(
        "card_a",
        "harborline",
        "Everyday Rewards Card",
        "Harborline Everyday Rewards Credit Card",
        "4821",
        "credit",
        "credit card",
        limit_cents=750_000,
    ),
    _AccountSpec(
        "card_b",
        "harborline",
        "Voyager Charge Card",
        "Harborline Voyager Charge Card",
        "7710",
        "credit",
        "credit card",
        limit_cents=None,  # a charge card has no preset spending limit
    ),
    _AccountSpec(
        "card_c",
        "juniper",
        "Juniper Cash Back",
        "Juniper Cash Back Credit Card",
        "0374",
        "credit",
        "credit card",
        limit_cents=300_000,
    ),
)

# Accounts added to the demo later: their ids are drawn after every earlier id, so the ids of
# the accounts, merchants and transactions above never change.
_LATER_ACCOUNTS = (
    _AccountSpec(
        "savings",
        "harborline",
        "Everyday Savings",
        "Harborline Everyday Savings",
        "5512",  # the checking's monthly "ONLINE TRANSFER TO SAV ...5512" lands here
        "depository",
        "savings",
    ),
    # A private student loan made through the bank and serviced under the Cedarline name: the
    # bureau lists it as CEDARLINE STUDENT LOAN (integrations/demo/experian.py).
    _AccountSpec(
        "student_loan",
        "harborline",
        "Cedarline Student Loan",
        "Cedarline Private Student Loan",
        "6218",
        "loan",
        "student",
    ),
)
_ALL_ACCOUNTS = _ACCOUNTS + _LATER_ACCOUNTS

_SAVINGS_OPENING_CENTS = 840_000  # what the savings held when the demo's history starts
_SAVINGS_TRANSFER_CENTS = 25_000  # the checking's transfer on the 16th
_SAVINGS_RATE = 4.00  # percent a year, credited on the last day of each month

# The student loan agrees with the bureau's CEDARLINE STUDENT LOAN tradeline: $18,000 lent
# 76 months ago on the 11th, $196 a month, $9,870 of principal left after the last payment.
_LOAN_ORIGINAL_CENTS = 1_800_000
_LOAN_OPENED_MONTHS_AGO = 76
_LOAN_OPENED_DAY = 11
_LOAN_PAYMENT_CENTS = 19_600
_LOAN_PRINCIPAL_CENTS = 987_000
_LOAN_RATE = 5.50  # percent a year, fixed
_LOAN_DUE_IN_DAYS = 6  # the next payment falls inside the overview's due-soon window
_LOAN_PAYMENTS_LEFT = 58  # the payoff month, counted from the next payment
_LOAN_NUMBER = "57100386218"  # the bureau shows it as 57100XXXXXX
_LOAN_STATEMENT_DAYS_BEFORE_DUE = 21

_CONSENT_DAYS_LEFT = 10  # the OAuth bank's consent lapses within the warning window
_CARD_A_TARGET_CENTS = 694_821  # 92.6 % of the limit: the "nearly maxed out" card
_CARD_C_TARGET_CENTS = -1_240  # a small credit balance left by a refund

_M = _Merchant
_MERCHANTS: tuple[_Merchant, ...] = (
    # Everyday spending around home.
    _M("northgate", "NORTHGATE MARKET #0412", "Northgate Market", "FOOD_AND_DRINK_GROCERIES",
       "in store", "northgatemarket.example",
       _seattle("412 Pine St", "98101", 47.6114, -122.3383, "0412")),
    _M("evergreen_coop", "EVERGREEN CO-OP GROCERY", "Evergreen Co-op", "FOOD_AND_DRINK_GROCERIES",
       "in store", None, _seattle("1600 E Olive Way", "98102", 47.6193, -122.3253)),
    _M("cafe_ole", "CAFE OLE #2 SEATTLE WA", "Café Olé", "FOOD_AND_DRINK_COFFEE", "in store",
       None, _seattle("88 Yesler Way", "98104", 47.6017, -122.3353)),
    _M("bluebird", "BLUEBIRD COFFEE #214", "Bluebird Coffee", "FOOD_AND_DRINK_COFFEE",
       "in store", "bluebirdcoffee.example",
       _seattle("1201 3rd Ave", "98101", 47.6075, -122.3361, "214")),
    _M("senor_taco", "SQ *SENOR TACO", "Señor Taco", "FOOD_AND_DRINK_RESTAURANT", "in store",
       None, _seattle("2305 Eastlake Ave E", "98102", 47.6419, -122.3257)),
    _M("tokyo_ramen", "東京ラーメン SEATTLE WA", "東京ラーメン", "FOOD_AND_DRINK_RESTAURANT",
       "in store", None, _seattle("615 S King St", "98104", 47.5982, -122.3259)),
    _M("olive_thyme", "OLIVE & THYME", "Olive & Thyme", "FOOD_AND_DRINK_RESTAURANT",
       "in store", "oliveandthyme.example",
       _seattle("3418 Fremont Ave N", "98103", 47.6503, -122.3499)),
    _M("salty_gull", "THE SALTY GULL", "The Salty Gull", "FOOD_AND_DRINK_RESTAURANT",
       "in store", None, _seattle("1900 Alaskan Way", "98101", 47.6112, -122.3455)),
    _M("burger_barn", "BURGER BARN 0087", "Burger Barn", "FOOD_AND_DRINK_FAST_FOOD",
       "in store", "burgerbarn.example",
       _seattle("4520 University Way NE", "98105", 47.6623, -122.3131, "0087")),
    _M("quickstop", "QUICKSTOP #5521", "QuickStop", "GENERAL_MERCHANDISE_CONVENIENCE_STORES",
       "in store", None, _seattle("700 Broadway E", "98102", 47.6262, -122.3210, "5521")),
    _M("cascade_fuel", "CASCADE FUEL 0193", "Cascade Fuel", "TRANSPORTATION_GAS", "in store",
       "cascadefuel.example",
       _seattle("1525 Aurora Ave N", "98109", 47.6321, -122.3441, "0193")),
    _M("marketly", "MARKETLY*MKTPLACE", "Marketly", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
       "online", "marketly.example", None, "marketplace"),
    _M("zoomride", "ZOOMRIDE *TRIP", "Zoomride", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
       "online", "zoomride.example"),
    _M("metro_transit", "METRO TRANSIT FARE", "Metro Transit",
       "TRANSPORTATION_PUBLIC_TRANSIT", "in store", None,
       _seattle("401 S Jackson St", "98104", 47.5990, -122.3307)),
    _M("wellway", "WELLWAY PHARMACY #33", "Wellway Pharmacy", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
       "in store", "wellway.example",
       _seattle("2220 Queen Anne Ave N", "98109", 47.6385, -122.3569, "33")),
    _M("studio_nine", "STUDIO NINE SALON", "Studio Nine Salon", "PERSONAL_CARE_HAIR_AND_BEAUTY",
       "in store", None, _seattle("1521 10th Ave", "98122", 47.6147, -122.3197)),
    _M("timberline", "TIMBERLINE HARDWARE", "Timberline Hardware", "HOME_IMPROVEMENT_HARDWARE",
       "in store", "timberlinehardware.example",
       _seattle("3900 Stone Way N", "98103", 47.6537, -122.3424)),
    _M("threadline", "THREADLINE STORE 18", "Threadline",
       "GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES", "in store", "threadline.example",
       _seattle("400 Pine St", "98101", 47.6122, -122.3376, "18")),
    _M("big_basket", "BIG BASKET SUPERSTORE", "Big Basket", "GENERAL_MERCHANDISE_SUPERSTORES",
       "in store", "bigbasket.example",
       _seattle("2800 SW Barton St", "98126", 47.5213, -122.3691)),
    _M("parkright", "PARKRIGHT LOT 52", "ParkRight", "TRANSPORTATION_PARKING", "in store", None,
       _seattle("1000 2nd Ave", "98104", 47.6053, -122.3355, "52")),
    _M("pawsome", "PAWSOME PETS", "Pawsome Pets", "GENERAL_MERCHANDISE_PET_SUPPLIES", "in store",
       None, _seattle("6010 Phinney Ave N", "98103", 47.6723, -122.3545)),
    _M("cineplex", "CINEPLEX GRAND", "Cineplex Grand", "ENTERTAINMENT_TV_AND_MOVIES", "in store",
       None, _seattle("600 Pine St", "98101", 47.6126, -122.3352)),
    _M("cork_cask", "CORK & CASK", "Cork & Cask", "FOOD_AND_DRINK_BEER_WINE_AND_LIQUOR",
       "in store", None, _seattle("1111 E Pike St", "98122", 47.6142, -122.3178)),
    _M("brightsmile", "BRIGHTSMILE DENTAL", "Brightsmile Dental", "MEDICAL_DENTAL_CARE",
       "in store", None, _seattle("509 Olive Way", "98101", 47.6128, -122.3364)),
    _M("family_clinic", "CASCADE FAMILY CLINIC", "Cascade Family Clinic",
       "MEDICAL_PRIMARY_CARE", "in store", None,
       _seattle("1101 Madison St", "98104", 47.6092, -122.3250)),
    _M("suds_press", "SUDS & PRESS CLEANERS", "Suds & Press",
       "PERSONAL_CARE_LAUNDRY_AND_DRY_CLEANING", "in store", None,
       _seattle("1420 NW Market St", "98107", 47.6687, -122.3751)),
    _M("quicklube", "QUICKLUBE AUTO CARE", "QuickLube", "GENERAL_SERVICES_AUTOMOTIVE",
       "in store", None, _seattle("11030 Aurora Ave N", "98133", 47.7087, -122.3449)),
    _M("paper_lantern", "PAPER LANTERN BOOKS", "Paper Lantern Books",
       "GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS", "in store", None,
       _seattle("1521 10th Ave", "98122", 47.6147, -122.3198)),
    _M("voltage", "VOLTAGE ELECTRONICS ONLINE", "Voltage Electronics",
       "GENERAL_MERCHANDISE_ELECTRONICS", "online", "voltage-electronics.example"),
    _M("pixel_forge", "PIXELFORGE*GAMES", "Pixel Forge", "ENTERTAINMENT_VIDEO_GAMES", "online",
       "pixelforge.example"),
    _M("shipright", "SHIPRIGHT POSTAL 114", "ShipRight", "GENERAL_SERVICES_POSTAGE_AND_SHIPPING",
       "in store", None, _seattle("301 Union St", "98101", 47.6094, -122.3365, "114")),
    _M("good_to_go", "GOOD TO GO TOLLS", "Good To Go", "TRANSPORTATION_TOLLS", "online",
       None, None, "merchant", "HIGH"),
    _M("lumen_arena", "LUMEN ARENA TICKETS", "Lumen Arena",
       "ENTERTAINMENT_SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS", "online",
       "lumenarena.example"),
    _M("skyward", "SKYWARD AIRLINES", "Skyward Airlines", "TRAVEL_FLIGHTS", "online",
       "skywardair.example"),
    _M("staylodge", "STAYLODGE HOTELS", "StayLodge", "TRAVEL_LODGING", "online",
       "staylodge.example"),
    _M("roadrunner", "ROADRUNNER CAR RENTAL", "Roadrunner Car Rental", "TRAVEL_RENTAL_CARS",
       "in store", "roadrunnerrental.example",
       _Place("17801 International Blvd", "SeaTac", "WA", "98158", "US", 47.4435, -122.2961)),
    _M("food_bank", "HARBOR FOOD BANK DONATION", "Harbor Food Bank",
       "GOVERNMENT_AND_NON_PROFIT_DONATIONS", "online", "harborfoodbank.example"),
    _M("dol", "WA DEPT OF LICENSING", "Washington State Department of Licensing",
       "GOVERNMENT_AND_NON_PROFIT_GOVERNMENT_DEPARTMENTS_AND_AGENCIES", "online", None),
    # Recurring bills and subscriptions.
    _M("payroll", "NORTHWIND ANALYT PAYROLL PPD", "Northwind Analytics", "INCOME_WAGES", "other",
       None, None, "income_source", "VERY_HIGH", "payer"),
    _M("rent", "CEDAR COURT APTS ACH PMT", "Cedar Court Apartments", "RENT_AND_UTILITIES_RENT",
       "other", None, None, "merchant", "HIGH", "payee"),
    _M("power_gas", "CASCADIA POWER & GAS BILLPAY", "Cascadia Power & Gas",
       "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "other", "cascadiapower.example", None,
       "merchant", "VERY_HIGH", "payee"),
    _M("fiberlink", "FIBERLINK INTERNET", "FiberLink", "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
       "other", "fiberlink.example", None, "merchant", "VERY_HIGH", "payee"),
    _M("water", "SEATTLE METRO WATER & SEWER", "Metro Water & Sewer", "RENT_AND_UTILITIES_WATER",
       "other", None, None, "merchant", "HIGH", "payee"),
    _M("insurance", "EVERGREEN MUTUAL INS PREM", "Evergreen Mutual Insurance",
       "GENERAL_SERVICES_INSURANCE", "other", "evergreenmutual.example", None, "merchant",
       "VERY_HIGH", "payee"),
    _M("pinecone", "PINECONE MOBILE AUTOPAY", "Pinecone Mobile", "RENT_AND_UTILITIES_TELEPHONE",
       "online", "pineconemobile.example"),
    _M("streamly", "STREAMLY.COM", "Streamly", "ENTERTAINMENT_TV_AND_MOVIES", "online",
       "streamly.example"),
    _M("tunewave", "TUNEWAVE PREMIUM", "Tunewave", "ENTERTAINMENT_MUSIC_AND_AUDIO", "online",
       "tunewave.example"),
    _M("ironworks", "IRONWORKS FITNESS CLUB", "Ironworks Fitness",
       "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS", "other", None,
       _seattle("225 Terry Ave N", "98109", 47.6200, -122.3370)),
    _M("nimbus", "NIMBUS CLOUD STORAGE", "Nimbus Cloud", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES",
       "online", "nimbuscloud.example"),
    _M("harbor_times", "HARBOR TIMES DIGITAL ANNUAL", "Harbor Times",
       "GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS", "online", "harbortimes.example"),
    # Money movement and bank charges.
    _M("savings_out", "ONLINE TRANSFER TO SAV ...5512", None, "TRANSFER_OUT_SAVINGS", "other",
       None, None, "financial_institution", "HIGH"),
    _M("interest_earned", "INTEREST PAYMENT", None, "INCOME_INTEREST_EARNED", "other",
       None, None, "financial_institution", "HIGH"),
    _M("atm", "ATM WITHDRAWAL 1004 PIKE ST", None, "TRANSFER_OUT_WITHDRAWAL", "in store",
       None, _seattle("1004 Pike St", "98101", 47.6133, -122.3302), "financial_institution",
       "HIGH"),
    _M("atm_fee", "NON-NETWORK ATM FEE", None, "BANK_FEES_ATM_FEES", "other", None, None,
       "financial_institution", "HIGH"),
    _M("maintenance_fee", "MONTHLY MAINTENANCE FEE", None, "BANK_FEES_OTHER_BANK_FEES", "other",
       None, None, "financial_institution", "HIGH"),
    _M("late_fee", "LATE FEE", None, "BANK_FEES_OTHER_BANK_FEES", "other", None, None,
       "financial_institution", "HIGH"),
    _M("interest_charge", "INTEREST CHARGE ON PURCHASES", None, "BANK_FEES_INTEREST_CHARGE",
       "other", None, None, "financial_institution", "VERY_HIGH"),
    _M("swiftpay_out", "SWIFTPAY *SENT", "Swiftpay", "TRANSFER_OUT_ACCOUNT_TRANSFER", "other",
       "swiftpay.example", None, "payment_app", "MEDIUM"),
    _M("swiftpay_in", "SWIFTPAY *RECEIVED", "Swiftpay", "TRANSFER_IN_ACCOUNT_TRANSFER", "other",
       "swiftpay.example", None, "payment_app", "MEDIUM"),
    _M("tax_refund", "IRS TREAS 310 TAX REF", "Internal Revenue Service", "INCOME_TAX_REFUND",
       "other", None, None, "financial_institution", "VERY_HIGH", "payer"),
    _M("tax_payment", "US TREASURY 1040 TAX PYMT", "Internal Revenue Service",
       "GOVERNMENT_AND_NON_PROFIT_TAX_PAYMENT", "other", None, None, "financial_institution",
       "VERY_HIGH", "payee"),
    _M("harborline_pmt", "HARBORLINE CARD PAYMENT ONLINE PMT", "Harborline Bank",
       "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", "other", "harborline-bank.example", None,
       "financial_institution", "VERY_HIGH", "payee"),
    _M("juniper_pmt", "JUNIPER CARD SVCS ONLINE PMT", "Juniper Card Services",
       "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", "other", "junipercard.example", None,
       "financial_institution", "VERY_HIGH", "payee"),
    _M("payment_received", "PAYMENT - THANK YOU", None, "TRANSFER_IN_ACCOUNT_TRANSFER", "other",
       None, None, "financial_institution", "VERY_HIGH"),
    # A trip to Paris, Berlin and London, paid on the charge card in local currency.
    _M("hotel_lumiere", "HOTEL LUMIERE PARIS", "Hôtel Lumière", "TRAVEL_LODGING", "in store",
       None, _Place("12 Rue Cler", "Paris", None, "75007", "FR", 48.8565, 2.3063)),
    _M("brasserie_etoile", "BRASSERIE ETOILE PARIS", "Brasserie Étoile",
       "FOOD_AND_DRINK_RESTAURANT", "in store", None,
       _Place("41 Avenue de Wagram", "Paris", None, "75017", "FR", 48.8790, 2.2970)),
    _M("creperie", "CREPERIE SAINT-MICHEL", "Crêperie Saint-Michel",
       "FOOD_AND_DRINK_RESTAURANT", "in store", None,
       _Place("5 Rue de la Huchette", "Paris", None, "75005", "FR", 48.8530, 2.3459)),
    _M("boulangerie", "BOULANGERIE DU PONT", "Boulangerie du Pont",
       "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK", "in store", None,
       _Place("3 Quai de Conti", "Paris", None, "75006", "FR", 48.8573, 2.3392)),
    _M("paris_metro", "METRO PARIS BILLETS", "Métro de Paris", "TRANSPORTATION_PUBLIC_TRANSIT",
       "in store", None, _Place(None, "Paris", None, None, "FR", None, None)),
    _M("galerie", "GALERIE ORANGERIE", "Galerie de l'Orangerie",
       "ENTERTAINMENT_SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS", "in store", None,
       _Place("Jardin des Tuileries", "Paris", None, "75001", "FR", 48.8638, 2.3226)),
    _M("eurorail", "EURORAIL EXPRESS", "Eurorail Express", "TRAVEL_OTHER_TRAVEL", "online",
       "eurorail-express.example"),
    _M("baeckerei", "BÄCKEREI MÜLLER BERLIN", "Bäckerei Müller",
       "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK", "in store", None,
       _Place("Oranienstraße 17", "Berlin", None, "10999", "DE", 52.5010, 13.4180)),
    _M("spreeblick", "HOTEL SPREEBLICK", "Hotel Spreeblick", "TRAVEL_LODGING", "in store",
       None, _Place("Schiffbauerdamm 6", "Berlin", None, "10117", "DE", 52.5213, 13.3850)),
    _M("hirsch", "ZUM GOLDENEN HIRSCH", "Zum Goldenen Hirsch", "FOOD_AND_DRINK_RESTAURANT",
       "in store", None,
       _Place("Kastanienallee 9", "Berlin", None, "10435", "DE", 52.5370, 13.4090)),
    _M("crown_anchor", "THE CROWN & ANCHOR", "The Crown & Anchor", "FOOD_AND_DRINK_RESTAURANT",
       "in store", None,
       _Place("22 Neal St", "London", None, "WC2H 9PS", "GB", 51.5145, -0.1256)),
    _M("kensington_rooms", "KENSINGTON ROOMS LONDON", "Kensington Rooms", "TRAVEL_LODGING",
       "in store", None,
       _Place("31 Queen's Gate", "London", None, "SW7 5JA", "GB", 51.4990, -0.1790)),
    _M("capital_transit", "CAPITAL TRANSIT LONDON", "Capital Transit London",
       "TRANSPORTATION_PUBLIC_TRANSIT", "in store", None,
       _Place(None, "London", None, None, "GB", None, None)),
    _M("thameside", "THAMESIDE GALLERY", "Thameside Gallery",
       "ENTERTAINMENT_SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS", "in store", None,
       _Place("Bankside", "London", None, "SE1 9TG", "GB", 51.5076, -0.0994)),
    # Added later (last, so the ids drawn for the merchants above never change).
    _M("student_loan_pmt", "CEDARLINE STUDENT LN PMT", "Cedarline Student Loan Servicing",
       "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT", "other", "cedarline-loans.example", None,
       "financial_institution", "VERY_HIGH", "payee"),
    _M("savings_in", "ONLINE TRANSFER FROM CHK ...1180", None, "TRANSFER_IN_SAVINGS", "other",
       None, None, "financial_institution", "HIGH"),
)  # fmt: skip
_MERCHANT_BY_KEY = {m.key: m for m in _MERCHANTS}

_CARD_A_HABITS = (
    _Habit(("northgate", "evergreen_coop"), 0.17, 18, 120, _WEEKENDS, (9, 20)),
    _Habit(("cafe_ole", "bluebird"), 1.0, 3.75, 8.95, _WEEKDAYS, (7, 11)),
    _Habit(("senor_taco", "tokyo_ramen", "olive_thyme", "salty_gull"), 0.2, 14, 68,
           _EVENINGS_OUT, (12, 22)),
    _Habit(("burger_barn",), 0.22, 7.5, 16.5, _EVEN, (11, 21)),
    _Habit(("quickstop",), 0.3, 2.5, 12, _EVEN, (7, 23)),
    _Habit(("cascade_fuel",), 0.08, 30, 62, _EVEN, (7, 20)),
    _Habit(("marketly",), 0.14, 8, 110, _EVEN, (0, 24), local=False),
    _Habit(("zoomride",), 0.1, 8, 32, _EVENINGS_OUT, (17, 24)),
    _Habit(("metro_transit",), 0.65, 2.75, 2.75, _WEEKDAYS, (7, 19)),
    _Habit(("wellway",), 0.04, 6, 45, _EVEN, (9, 20)),
    _Habit(("studio_nine",), 0.02, 35, 85, _WEEKENDS, (10, 18)),
    _Habit(("timberline",), 0.02, 12, 120, _WEEKENDS, (9, 18)),
    _Habit(("threadline",), 0.02, 25, 110, _WEEKENDS, (11, 19)),
    _Habit(("big_basket",), 0.04, 20, 120, _WEEKENDS, (10, 20)),
    _Habit(("parkright",), 0.05, 4, 18, _EVEN, (8, 20)),
    _Habit(("pawsome",), 0.03, 12, 60, _WEEKENDS, (10, 19)),
    _Habit(("cineplex",), 0.02, 14, 34, _EVENINGS_OUT, (17, 22)),
    _Habit(("cork_cask",), 0.03, 12, 45, _EVENINGS_OUT, (15, 21)),
    _Habit(("family_clinic",), 0.008, 25, 40, _WEEKDAYS, (9, 17)),
    _Habit(("suds_press",), 0.03, 9, 28, _WEEKDAYS, (8, 19)),
    _Habit(("quicklube",), 0.005, 45, 110, _WEEKENDS, (9, 17)),
)  # fmt: skip

_CARD_B_HABITS = (
    _Habit(("olive_thyme", "salty_gull", "tokyo_ramen"), 0.28, 28, 115, _EVENINGS_OUT, (18, 23)),
    _Habit(("zoomride",), 0.14, 9, 40, _EVENINGS_OUT, (17, 24)),
    _Habit(("lumen_arena",), 0.015, 45, 160, _EVEN, (0, 24), local=False),
    _Habit(("skyward",), 0.008, 180, 480, _EVEN, (0, 24), local=False),
    _Habit(("staylodge",), 0.008, 140, 380, _EVEN, (0, 24), local=False),
    _Habit(("roadrunner",), 0.004, 90, 280, _EVEN, (9, 18)),
    _Habit(("good_to_go",), 0.12, 2.5, 6.5, _WEEKDAYS, (7, 19)),
    _Habit(("cork_cask",), 0.03, 25, 80, _EVENINGS_OUT, (15, 21)),
)  # fmt: skip

_CARD_C_HABITS = (
    _Habit(("marketly",), 0.12, 9, 70, _EVEN, (0, 24), local=False),
    _Habit(("paper_lantern",), 0.04, 9, 40, _WEEKENDS, (10, 20)),
    _Habit(("senor_taco", "burger_barn"), 0.16, 8, 28, _EVEN, (11, 21)),
    _Habit(("bluebird",), 0.45, 3.95, 7.5, _WEEKDAYS, (7, 11)),
    _Habit(("voltage",), 0.008, 20, 200, _EVEN, (0, 24), local=False),
    _Habit(("pixel_forge",), 0.012, 5, 60, _WEEKENDS, (0, 24), local=False),
    _Habit(("shipright",), 0.015, 8, 30, _WEEKDAYS, (9, 18)),
    _Habit(("quickstop",), 0.15, 2.5, 10, _EVEN, (7, 23)),
)  # fmt: skip

_CHECKING_HABITS = (
    _Habit(("evergreen_coop", "northgate"), 0.16, 15, 85, _WEEKENDS, (9, 20)),
    _Habit(("quickstop",), 0.2, 3, 14, _EVEN, (7, 23)),
    _Habit(("burger_barn",), 0.1, 7.5, 15, _EVEN, (11, 21)),
    _Habit(("cascade_fuel",), 0.05, 30, 58, _EVEN, (7, 20)),
    _Habit(("bluebird",), 0.2, 3.95, 7.25, _WEEKDAYS, (7, 11)),
)

_CARD_HABITS = {
    "card_a": _CARD_A_HABITS,
    "card_b": _CARD_B_HABITS,
    "card_c": _CARD_C_HABITS,
    "checking": _CHECKING_HABITS,
}

# (account, merchant, day of month, dollars)
_MONTHLY_SUBSCRIPTIONS = (
    ("card_a", "ironworks", 1, 49.00),
    ("card_a", "pinecone", 9, 65.00),
    ("card_c", "tunewave", 3, 10.99),
    ("card_c", "nimbus", 27, 2.99),
    ("card_c", "food_bank", 20, 25.00),
)
_STREAMLY_OLD, _STREAMLY_NEW, _STREAMLY_DAY = 15.49, 17.99, 12
_STREAMLY_RISE_MONTHS_AGO = 5

# (day offset from the start of the trip, merchant, amount, currency)
_TRIP = (
    (0, "paris_metro", 16.90, "EUR"),
    (0, "brasserie_etoile", 68.50, "EUR"),
    (1, "creperie", 24.80, "EUR"),
    (1, "galerie", 32.00, "EUR"),
    (1, "brasserie_etoile", 91.20, "EUR"),
    (2, "boulangerie", 9.40, "EUR"),
    (2, "paris_metro", 8.45, "EUR"),
    (2, "creperie", 31.60, "EUR"),
    (3, "hotel_lumiere", 612.00, "EUR"),
    (3, "eurorail", 149.00, "EUR"),
    (4, "baeckerei", 7.85, "EUR"),
    (4, "hirsch", 44.60, "EUR"),
    (5, "baeckerei", 6.20, "EUR"),
    (5, "hirsch", 58.90, "EUR"),
    (6, "spreeblick", 387.00, "EUR"),
    (6, "eurorail", 189.00, "EUR"),
    (7, "capital_transit", 14.80, "GBP"),
    (7, "crown_anchor", 38.50, "GBP"),
    (8, "crown_anchor", 52.75, "GBP"),
    (8, "thameside", 22.00, "GBP"),
    (9, "kensington_rooms", 534.00, "GBP"),
    (9, "capital_transit", 9.60, "GBP"),
)
_TRIP_MONTHS_AGO = 7
_TRIP_DAYS = 10


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _month_day(year: int, month: int, day_of_month: int) -> date:
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _months_spanned(start: date, end: date) -> list[tuple[int, int]]:
    """Every (year, month) from ``start``'s month to ``end``'s, both included."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _previous_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _dollars(cents: int) -> float:
    return round(cents / 100, 2)


def _cents(dollars: float) -> int:
    return round(dollars * 100)


@cache  # a few dozen categories, looked up for every transaction
def _primary_of(detailed: str) -> str:
    for primary in _PRIMARIES:
        if detailed.startswith(primary + "_"):
            return primary
    raise ValueError(f"unknown personal finance category: {detailed}")


def _iso_datetime(day: date, minute_of_day: int, second: int = 0) -> str:
    hour, minute = divmod(minute_of_day % (24 * 60), 60)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}Z"


class _Ids:
    """Plaid-looking opaque identifiers from a private, seeded stream."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def token(self, length: int = 37) -> str:
        return "".join(self._rng.choices(_ALNUM, k=length))

    def quick_token(self, length: int = 37) -> str:
        """Like token, from random bytes (a few thousand per day's data: 10x faster)."""
        return self._rng.randbytes(length).translate(_ALNUM_BYTES).decode("ascii")

    def request_id(self) -> str:
        return self.token(15)

    def cursor(self) -> str:
        return base64.b64encode(self._rng.randbytes(60)).decode("ascii")


# --------------------------------------------------------------------------------------------
# Transactions before rendering
# --------------------------------------------------------------------------------------------


@dataclass
class _Txn:
    account: str
    merchant: _Merchant
    auth_date: date
    date: date
    cents: int  # positive = money leaves the account, in `currency`
    transaction_id: str
    minute: int = 12 * 60
    currency: str = "USD"
    pending: bool = False
    pending_transaction_id: str | None = None

    @property
    def usd_cents(self) -> int:
        return round(self.cents * _USD_PER_UNIT[self.currency])


@dataclass
class _CardPlan:
    account: str
    last_statement: date
    pay_after_days: int  # days from statement to the posted payment
    pay_last_statement: bool
    opening_cents: int
    apr: float | None = None  # interest is charged only on the card that carries a balance
    carry_from_cents: int = 0
    carry_to_cents: int = 0
    target_cents: int | None = None  # the last payment is solved so the balance lands here


@dataclass
class _CardOutcome:
    statements: list[tuple[date, int]] = field(default_factory=list)
    payments: list[_Txn] = field(default_factory=list)
    interest: list[_Txn] = field(default_factory=list)
    current_cents: int = 0
    carried_cents: int = 0


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------


class _DemoBuilder:
    """Generates one day's demo world: raw transactions first, then balances, then bodies."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.start = add_months(today, -_HISTORY_MONTHS)
        self.rng = random.Random(_SEED)
        self.ids = _Ids(_TXN_ID_SEED)
        static = _Ids(_STATIC_SEED)
        self.item_ids = {spec.key: static.token() for spec in _INSTITUTIONS}
        self.account_ids = {spec.key: static.token() for spec in _ACCOUNTS}
        self.entity_ids = {m.key: static.token() for m in _MERCHANTS if m.merchant_name}
        self.account_ids.update({spec.key: static.token() for spec in _LATER_ACCOUNTS})
        # The later accounts' transactions take their ids from a stream of their own, so the
        # ids of every earlier transaction stay as they were.
        self.later_ids = _Ids(_LATER_TXN_ID_SEED)
        self.ppd_ids = {m.key: str(9_000_000_000 + i * 7_919) for i, m in enumerate(_MERCHANTS)}
        self.trip_start = add_months(today, -_TRIP_MONTHS_AGO)
        self.away = {
            self.trip_start + timedelta(days=offset) for offset in range(-1, _TRIP_DAYS + 1)
        }
        self.txns: list[_Txn] = []
        # Transactions that exist only in earlier sync pages: pending ones later posted, and
        # earlier versions of transactions that are re-sent as `modified`.
        self.stale_pending: list[_Txn] = []
        self.modified_originals: dict[str, JsonDict] = {}
        self.card_outcomes: dict[str, _CardOutcome] = {}
        self.balances: dict[str, JsonDict] = {}
        self.liabilities: dict[str, JsonDict] = {}
        self.loans: dict[str, JsonDict] = {}

    # ---------------------------------------------------------------- orchestration

    def build(self) -> tuple[DemoPlaidItem, ...]:
        self._add_habit_spending()
        self._add_bills_and_subscriptions()
        self._add_trip()
        self._add_refunds()
        self._add_pending_then_posted()
        self._add_transactions_later_modified()
        self._add_recent_pending()
        self._add_checking_life()
        self._add_savings_and_student_loan()
        self._settle_cards()
        self._settle_checking()
        self._settle_savings_and_student_loan()
        return tuple(self._item(spec) for spec in _INSTITUTIONS)

    # ---------------------------------------------------------------- generation

    def _new(
        self,
        account: str,
        merchant_key: str,
        auth_date: date,
        cents: int,
        *,
        lag_days: int = 0,
        minute: int | None = None,
        currency: str = "USD",
    ) -> _Txn:
        """A transaction authorised on auth_date; it is still pending if it has not posted."""
        posted = auth_date + timedelta(days=lag_days)
        pending = posted > self.today
        txn = _Txn(
            account=account,
            merchant=_MERCHANT_BY_KEY[merchant_key],
            auth_date=auth_date,
            date=auth_date if pending else posted,
            cents=cents,
            transaction_id=self.ids.quick_token(),
            minute=minute if minute is not None else self.rng.randrange(8 * 60, 20 * 60),
            currency=currency,
            pending=pending,
        )
        self.txns.append(txn)
        return txn

    def _draw_cents(self, low: float, high: float) -> int:
        if low == high:
            return _cents(low)
        # Skewed towards the low end: most purchases are small, a few are large.
        return _cents(self.rng.triangular(low, high, low + (high - low) * 0.25))

    def _card_lag(self, merchant: _Merchant) -> int:
        return self.rng.choice((1, 1, 2) if merchant.channel == "in store" else (0, 1, 1, 2))

    def _days(self) -> list[date]:
        count = (self.today - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(count)]

    def _add_habit_spending(self) -> None:
        for day in self._days():
            for account, habits in _CARD_HABITS.items():
                for habit in habits:
                    if habit.local and day in self.away:
                        continue
                    expected = habit.per_day * habit.week[day.weekday()]
                    count = int(expected) + (self.rng.random() < expected - int(expected))
                    for _ in range(count):
                        merchant = _MERCHANT_BY_KEY[self.rng.choice(habit.merchants)]
                        self._new(
                            account,
                            merchant.key,
                            day,
                            self._draw_cents(habit.low, habit.high),
                            lag_days=self._card_lag(merchant),
                            minute=self.rng.randrange(habit.hours[0] * 60, habit.hours[1] * 60),
                        )

    def _add_bills_and_subscriptions(self) -> None:
        streamly_rise = add_months(self.today, -_STREAMLY_RISE_MONTHS_AGO)
        for year, month in _months_spanned(self.start, self.today):
            for account, merchant, day_of_month, dollars in _MONTHLY_SUBSCRIPTIONS:
                self._recurring_charge(
                    account, merchant, _month_day(year, month, day_of_month), dollars
                )
            streamly_day = _month_day(year, month, _STREAMLY_DAY)
            price = _STREAMLY_NEW if streamly_day >= streamly_rise else _STREAMLY_OLD
            self._recurring_charge("card_a", "streamly", streamly_day, price)
        for years_back in (0, 1, 2):
            renewal = add_months(self.today, -4 - 12 * years_back)
            self._recurring_charge("card_c", "harbor_times", renewal, 99.00)
            dmv = add_months(self.today, -9 - 12 * years_back)
            self._recurring_charge("card_c", "dol", dmv, 89.50)
        for months_back in (3, 9, 15, 21):
            self._recurring_charge(
                "card_a", "brightsmile", add_months(self.today, -months_back), 45.00
            )

    def _recurring_charge(
        self, account: str, merchant_key: str, charge_day: date, dollars: float
    ) -> None:
        if self.start <= charge_day <= self.today:
            self._new(
                account,
                merchant_key,
                charge_day,
                _cents(dollars),
                lag_days=self.rng.choice((0, 1)),
                minute=self.rng.randrange(0, 6 * 60),
            )

    def _add_trip(self) -> None:
        booking = self.trip_start - timedelta(days=61)
        self._new("card_b", "skyward", booking, _cents(1184.60), lag_days=1, minute=21 * 60 + 14)
        for offset, merchant_key, amount, currency in _TRIP:
            day = self.trip_start + timedelta(days=offset)
            minute = self.rng.randrange(7 * 60, 21 * 60)  # daytime in Europe, as UTC
            self._new(
                "card_b",
                merchant_key,
                day,
                _cents(amount),
                lag_days=2,
                minute=minute,
                currency=currency,
            )

    def _add_refunds(self) -> None:
        """Returned online orders: same merchant and amount as an earlier purchase."""
        candidates = [
            t
            for t in self.txns
            if t.account == "card_a"
            and t.merchant.key == "marketly"
            and not t.pending
            and t.cents >= 3_000
            and self.start + timedelta(days=60) < t.date < self.today - timedelta(days=45)
        ]
        for purchase in self.rng.sample(candidates, k=min(3, len(candidates))):
            returned = purchase.date + timedelta(days=self.rng.randint(6, 16))
            self._new("card_a", "marketly", returned, -purchase.cents, lag_days=1)

    def _add_pending_then_posted(self) -> None:
        """Transactions that were pending at an earlier sync and have posted since."""
        pairs = (
            ("card_a", "salty_gull", 2, 4_860, 5_832, 20 * 60 + 12),  # tip added on posting
            ("checking", "cascade_fuel", 3, 100, 4_785, 8 * 60 + 3),  # pump pre-authorisation
            ("card_c", "marketly", 3, 2_347, 2_347, 13 * 60 + 40),
        )
        for account, merchant_key, days_ago, pending_cents, posted_cents, minute in pairs:
            auth = self.today - timedelta(days=days_ago)
            pending = _Txn(
                account=account,
                merchant=_MERCHANT_BY_KEY[merchant_key],
                auth_date=auth,
                date=auth,
                cents=pending_cents,
                transaction_id=self.ids.quick_token(),
                minute=minute,
                pending=True,
            )
            self.stale_pending.append(pending)
            posted = self._new(
                account, merchant_key, auth, posted_cents, lag_days=days_ago - 1, minute=minute
            )
            posted.pending_transaction_id = pending.transaction_id

    def _add_transactions_later_modified(self) -> None:
        """One transaction per item whose details Plaid improves after first delivering it."""
        taco = self._new("card_a", "senor_taco", self.today - timedelta(days=7), 2_745, lag_days=1)
        self.modified_originals[taco.transaction_id] = {
            "merchant_name": None,
            "merchant_entity_id": None,
            "website": None,
            "counterparties": [],
            "personal_finance_category": {
                "primary": "FOOD_AND_DRINK",
                "detailed": "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK",
                "confidence_level": "MEDIUM",
            },
        }
        ramen = self._new(
            "card_c", "tokyo_ramen", self.today - timedelta(days=10), 3_680, lag_days=1
        )
        self.modified_originals[ramen.transaction_id] = {"amount": _dollars(3_180)}

    def _add_recent_pending(self) -> None:
        """Guarantees fresh pending activity whatever the random draws were."""
        self._new("card_a", "cafe_ole", self.today, 565, lag_days=1, minute=7 * 60 + 48)
        self._new("card_c", "bluebird", self.today - timedelta(days=1), 495, lag_days=2)
        self._new("checking", "quickstop", self.today - timedelta(days=1), 1_237, lag_days=2)

    def _add_checking_life(self) -> None:
        raise_day = add_months(self.today, -11)
        rent_rise = add_months(self.today, -10)
        for year, month in _months_spanned(self.start, self.today):
            last = calendar.monthrange(year, month)[1]
            for pay_day in (date(year, month, 15), date(year, month, last)):
                pay_day = _previous_weekday(pay_day)
                net = 3_326.84 if pay_day >= raise_day else 3_164.20
                self._scheduled("checking", "payroll", pay_day, -net, minute=6 * 60)
            rent_day = _next_weekday(date(year, month, 1))
            rent = 2_150.00 if rent_day >= rent_rise else 2_050.00
            self._scheduled("checking", "rent", rent_day, rent)
            self._scheduled("checking", "power_gas", date(year, month, 18), self._energy(month))
            self._scheduled("checking", "fiberlink", date(year, month, 22), 69.99)
            self._scheduled("checking", "insurance", date(year, month, 5), 132.40)
            self._scheduled("checking", "savings_out", date(year, month, 16), 250.00)
            if month % 2 == 0:
                water = round(self.rng.uniform(48, 78), 2)
                self._scheduled("checking", "water", date(year, month, 25), water)
            interest = round(self.rng.uniform(0.05, 0.6), 2)
            self._scheduled("checking", "interest_earned", date(year, month, last), -interest)
            # Alternate years: a refund one spring, a balance due the next.
            if month == 3 and year % 2 == 1:
                self._scheduled("checking", "tax_refund", date(year, month, 6), -836.21)
            if month == 4 and year % 2 == 0:
                self._scheduled("checking", "tax_payment", date(year, month, 14), 412.00)
        for months_back in (9, 17):
            fee_day = add_months(self.today, -months_back)
            self._scheduled("checking", "maintenance_fee", fee_day, 12.00)
        self._add_cash_and_friends()

    def _later(self, account: str, merchant_key: str, day: date, cents: int, minute: int) -> None:
        """A posted transaction of the later additions: no draw from the spending streams."""
        if self.start <= day <= self.today:
            self.txns.append(
                _Txn(
                    account=account,
                    merchant=_MERCHANT_BY_KEY[merchant_key],
                    auth_date=day,
                    date=day,
                    cents=cents,
                    transaction_id=self.later_ids.quick_token(),
                    minute=minute,
                )
            )

    def _add_savings_and_student_loan(self) -> None:
        """The savings receives the checking's transfer on the 16th and interest at each month's
        end; the checking pays the student loan on its due day each month."""
        balance = _SAVINGS_OPENING_CENTS
        for year, month in _months_spanned(self.start, self.today):
            transfer_day = date(year, month, 16)
            if self.start <= transfer_day <= self.today:
                self._later("savings", "savings_in", transfer_day, -_SAVINGS_TRANSFER_CENTS, 9 * 60)
                balance += _SAVINGS_TRANSFER_CENTS
            month_end = date(year, month, calendar.monthrange(year, month)[1])
            if self.start <= month_end <= self.today:
                interest = round(balance * _SAVINGS_RATE / 100 / 12)
                self._later("savings", "interest_earned", month_end, -interest, 5 * 60)
                balance += interest
        for day in self._loan_payment_days():
            self._later("checking", "student_loan_pmt", day, _LOAN_PAYMENT_CENTS, 7 * 60)

    def _loan_next_due(self) -> date:
        return self.today + timedelta(days=_LOAN_DUE_IN_DAYS)

    def _loan_payment_days(self) -> list[date]:
        """Every past payment, newest first: the due day of each month before the next."""
        days = []
        months_back = 1
        while (day := add_months(self._loan_next_due(), -months_back)) >= self.start:
            days.append(day)
            months_back += 1
        return days

    def _settle_savings_and_student_loan(self) -> None:
        savings = _SAVINGS_OPENING_CENTS - sum(
            t.cents for t in self.txns if t.account == "savings" and not t.pending
        )
        self.balances["savings"] = self._balance(savings, savings)
        last_paid = add_months(self._loan_next_due(), -1)
        owed = _LOAN_PRINCIPAL_CENTS + self._loan_interest(last_paid, self.today)
        self.balances["student_loan"] = self._balance(owed, None)
        self.loans["student_loan"] = self._student_loan(last_paid)

    @staticmethod
    def _loan_interest(since: date, until: date) -> int:
        """Simple daily interest on the principal left after the last payment."""
        days = max((until - since).days, 0)
        return round(_LOAN_PRINCIPAL_CENTS * _LOAN_RATE / 100 / 365 * days)

    def _loan_year_to_date(self) -> tuple[int, int]:
        """(interest, principal) paid this calendar year: each payment's interest is a month
        of the rate on the balance before it, worked back from the principal left now."""
        interest_paid = principal_paid = 0
        after = float(_LOAN_PRINCIPAL_CENTS)
        for day in self._loan_payment_days():
            before = (after + _LOAN_PAYMENT_CENTS) / (1 + _LOAN_RATE / 100 / 12)
            if day.year == self.today.year:
                principal_paid += round(before - after)
                interest_paid += _LOAN_PAYMENT_CENTS - round(before - after)
            after = before
        return interest_paid, principal_paid

    def _student_loan(self, last_paid: date) -> JsonDict:
        next_due = self._loan_next_due()
        opened = add_months(self.today, -_LOAN_OPENED_MONTHS_AGO)
        opened = _month_day(opened.year, opened.month, _LOAN_OPENED_DAY)
        statement_day = next_due - timedelta(days=_LOAN_STATEMENT_DAYS_BEFORE_DUE)
        payoff = add_months(next_due, _LOAN_PAYMENTS_LEFT - 1)
        interest_ytd, principal_ytd = self._loan_year_to_date()
        return {
            "account_id": self.account_ids["student_loan"],
            "account_number": _LOAN_NUMBER,
            "disbursement_dates": [opened.isoformat()],
            "expected_payoff_date": payoff.isoformat(),
            "guarantor": None,  # a private loan: no federal guarantor
            "interest_rate_percentage": _LOAN_RATE,
            "is_overdue": False,
            "last_payment_amount": _dollars(_LOAN_PAYMENT_CENTS),
            "last_payment_date": last_paid.isoformat(),
            "last_statement_balance": _dollars(
                _LOAN_PRINCIPAL_CENTS + self._loan_interest(last_paid, statement_day)
            ),
            "last_statement_issue_date": statement_day.isoformat(),
            "loan_name": "Cedarline Private Student Loan",
            "loan_status": {"end_date": payoff.isoformat(), "type": "repayment"},
            "minimum_payment_amount": _dollars(_LOAN_PAYMENT_CENTS),
            "next_payment_due_date": next_due.isoformat(),
            "origination_date": opened.isoformat(),
            "origination_principal_amount": _dollars(_LOAN_ORIGINAL_CENTS),
            "outstanding_interest_amount": _dollars(self._loan_interest(last_paid, self.today)),
            "payment_reference_number": _LOAN_NUMBER,
            "pslf_status": {
                "estimated_eligibility_date": None,
                "payments_made": None,
                "payments_remaining": None,
            },
            "repayment_plan": {"description": "Standard Repayment", "type": "standard"},
            "sequence_number": "1",
            "servicer_address": {
                "city": "Boise",
                "country": "US",
                "postal_code": "83707",
                "region": "ID",
                "street": "PO Box 7440",
            },
            "ytd_interest_paid": _dollars(interest_ytd),
            "ytd_principal_paid": _dollars(principal_ytd),
        }

    def _energy(self, month: int) -> float:
        winter = (math.cos((month - 1) / 12 * 2 * math.pi) + 1) / 2  # 1 in January, 0 in July
        return round(58 + 120 * winter + self.rng.uniform(-9, 9), 2)

    def _scheduled(
        self, account: str, merchant_key: str, day: date, dollars: float, minute: int = 9 * 60
    ) -> None:
        if self.start <= day <= self.today:
            self._new(account, merchant_key, day, _cents(dollars), minute=minute)

    def _add_cash_and_friends(self) -> None:
        for day in self._days():
            if day in self.away:
                continue
            if self.rng.random() < 0.04:
                self._new("checking", "atm", day, 100 * 20 * self.rng.randint(2, 10))
                if self.rng.random() < 0.25:
                    self._new("checking", "atm_fee", day, 350)
            if self.rng.random() < 0.06:
                self._new("checking", "swiftpay_out", day, self._draw_cents(12, 140), lag_days=1)
            if self.rng.random() < 0.045:
                self._new("checking", "swiftpay_in", day, -self._draw_cents(10, 120), lag_days=1)

    # ---------------------------------------------------------------- balances

    def _settle_cards(self) -> None:
        today = self.today
        plans = {
            # Due in 4 days and not yet paid; carries a growing balance (pays part each month).
            "card_a": _CardPlan(
                "card_a",
                last_statement=today - timedelta(days=21),
                pay_after_days=23,
                pay_last_statement=False,
                opening_cents=220_000,
                apr=24.99,
                carry_from_cents=180_000,
                carry_to_cents=350_000,
                target_cents=_CARD_A_TARGET_CENTS,
            ),
            # Pays in full, but the last statement (due 3 days ago) is unpaid: overdue.
            "card_b": _CardPlan(
                "card_b",
                last_statement=today - timedelta(days=28),
                pay_after_days=22,
                pay_last_statement=False,
                opening_cents=0,
            ),
            # Pays each statement in full two days after it is issued.
            "card_c": _CardPlan(
                "card_c",
                last_statement=today - timedelta(days=4),
                pay_after_days=2,
                pay_last_statement=True,
                opening_cents=0,
            ),
        }
        self._new("card_b", "late_fee", today - timedelta(days=2), 4_000, minute=3 * 60)
        self._add_credit_balance_refund(plans["card_c"].last_statement)
        for account, plan in plans.items():
            outcome = self._run_card(plan)
            self.card_outcomes[account] = outcome
            self.liabilities[account] = self._credit_liability(account, plan, outcome)

    def _add_credit_balance_refund(self, last_statement: date) -> None:
        """Card C ends with a small credit: a return refunded after the statement was paid.

        The refund equals everything posted since the statement plus the credit, so the
        balance lands exactly on the target; a matching earlier order keeps it a real return.
        """
        since_statement = sum(
            t.usd_cents
            for t in self.txns
            if t.account == "card_c" and not t.pending and t.date > last_statement
        )
        refund = since_statement - _CARD_C_TARGET_CENTS
        order_day = self.today - timedelta(days=12)
        self._new("card_c", "marketly", order_day, refund, lag_days=1, minute=19 * 60 + 5)
        self._new("card_c", "marketly", self.today - timedelta(days=2), -refund, lag_days=1)

    def _run_card(self, plan: _CardPlan) -> _CardOutcome:
        posted_by_day: dict[date, int] = defaultdict(int)
        for txn in self.txns:
            if txn.account == plan.account and not txn.pending:
                posted_by_day[txn.date] += txn.usd_cents
        statements = []
        months_back = 0
        while (issued := add_months(plan.last_statement, -months_back)) >= self.start:
            statements.append(issued)
            months_back += 1
        statements.reverse()
        statement_days = set(statements)
        paid = statements if plan.pay_last_statement else statements[:-1]
        solve_day = paid[-1] + timedelta(days=plan.pay_after_days) if paid else None

        outcome = _CardOutcome()
        balance = plan.opening_cents
        payments_due: dict[date, int] = {}
        previous_statement: int | None = None
        for day in self._days():
            balance += posted_by_day.get(day, 0)
            if day in payments_due:
                statement = payments_due.pop(day)
                if day == solve_day and plan.target_cents is not None:
                    later = sum(v for d, v in posted_by_day.items() if d > day)
                    later += self._next_interest(plan, statement, day, statements)
                    amount = balance + later - plan.target_cents
                else:
                    amount = self._payment_amount(plan, statement, day)
                amount = max(0, min(amount, balance))
                if amount:
                    balance -= amount
                    outcome.carried_cents = balance
                    outcome.payments.append(self._pay_card(plan.account, day, amount))
            if day in statement_days:
                if plan.apr is not None and previous_statement is not None:
                    charge = self._interest_cents(plan.apr, previous_statement)
                    balance += charge
                    outcome.interest.append(self._charge_interest(plan.account, day, charge))
                previous_statement = balance
                outcome.statements.append((day, balance))
                pay_day = day + timedelta(days=plan.pay_after_days)
                if day in paid and balance > 0 and pay_day <= self.today:
                    payments_due[pay_day] = balance
        outcome.current_cents = balance
        return outcome

    @staticmethod
    def _interest_cents(apr: float, previous_statement: int) -> int:
        # Approximates interest on the average daily balance; using the previous statement
        # keeps the final payment solvable in closed form.
        return round(max(previous_statement, 0) * apr / 100 / 12 * 0.8)

    def _next_interest(
        self, plan: _CardPlan, statement: int, day: date, statements: list[date]
    ) -> int:
        upcoming = [s for s in statements if s > day]
        if plan.apr is None or not upcoming:
            return 0
        return self._interest_cents(plan.apr, statement)

    def _payment_amount(self, plan: _CardPlan, statement: int, day: date) -> int:
        if plan.apr is None:
            return statement
        # The card holder pays down to a slowly rising carried balance, never below minimum.
        progress = (day - self.start).days / max((self.today - self.start).days, 1)
        carry = plan.carry_from_cents + (plan.carry_to_cents - plan.carry_from_cents) * progress
        minimum = self._minimum_payment(statement, plan.apr)
        return max(minimum, statement - int(carry))

    @staticmethod
    def _minimum_payment(statement: int, apr: float) -> int:
        interest = round(max(statement, 0) * apr / 100 / 12)
        return min(max(3_500, statement // 100 + interest), max(statement, 0))

    def _pay_card(self, account: str, day: date, cents: int) -> _Txn:
        payer = "juniper_pmt" if account == "card_c" else "harborline_pmt"
        self._new("checking", payer, day, cents, minute=10 * 60 + 30)
        return self._new(account, "payment_received", day, -cents, minute=10 * 60 + 30)

    def _charge_interest(self, account: str, day: date, cents: int) -> _Txn:
        return self._new(account, "interest_charge", day, cents, minute=4 * 60)

    def _credit_liability(self, account: str, plan: _CardPlan, outcome: _CardOutcome) -> JsonDict:
        issued, statement = outcome.statements[-1]
        last_payment = outcome.payments[-1] if outcome.payments else None
        due = issued + timedelta(days=25)
        if account == "card_a":
            interest = outcome.interest[-1].cents if outcome.interest else 0
            minimum = self._minimum_payment(statement, plan.apr or 0.0)
            aprs = [
                _apr(24.99, "purchase_apr", outcome.carried_cents, interest),
                _apr(29.99, "cash_apr", 0, 0),
                _apr(24.99, "balance_transfer_apr", 0, 0),
            ]
            cash_advance_limit: float | None = 1_500.00
        elif account == "card_b":
            minimum = statement  # a charge card is paid in full every month
            aprs = [_apr(0.0, "purchase_apr", 0, 0), _apr(29.99, "penalty_apr", None, None)]
            cash_advance_limit = None
        else:
            minimum = min(2_500, max(statement, 0))
            aprs = [
                _apr(19.49, "purchase_apr", 0, 0),
                _apr(28.49, "cash_apr", 0, 0),
                _apr(19.49, "balance_transfer_apr", 0, 0),
            ]
            cash_advance_limit = 900.00
        return {
            "account_id": self.account_ids[account],
            "aprs": aprs,
            "is_overdue": due < self.today and not plan.pay_last_statement,
            "last_payment_amount": _dollars(last_payment.cents * -1) if last_payment else None,
            "last_payment_date": last_payment.date.isoformat() if last_payment else None,
            "last_statement_issue_date": issued.isoformat(),
            "last_statement_balance": _dollars(statement),
            "minimum_payment_amount": _dollars(minimum),
            "next_payment_due_date": due.isoformat(),
            "cash_advance_limit": cash_advance_limit,
        }

    def _settle_checking(self) -> None:
        net_by_day: dict[date, int] = defaultdict(int)
        for txn in self.txns:
            if txn.account == "checking" and not txn.pending:
                net_by_day[txn.date] -= txn.cents
        running = lowest = 0
        for day in sorted(net_by_day):
            running += net_by_day[day]
            lowest = min(lowest, running)
        # Start with enough that no day ends below a small cushion.
        opening = max(250_000, 40_000 - lowest)
        current = opening + running
        self.balances["checking"] = self._balance(current, current - self._pending("checking"))
        for account in ("card_a", "card_b", "card_c"):
            spec = _spec(account)
            current = self.card_outcomes[account].current_cents
            available = None
            if spec.limit_cents is not None:
                available = spec.limit_cents - current - self._pending(account)
            self.balances[account] = self._balance(current, available, spec.limit_cents)

    def _pending(self, account: str) -> int:
        return sum(t.usd_cents for t in self.txns if t.account == account and t.pending)

    @staticmethod
    def _balance(current: int, available: int | None, limit: int | None = None) -> JsonDict:
        return {
            "available": None if available is None else _dollars(available),
            "current": _dollars(current),
            "limit": None if limit is None else _dollars(limit),
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "last_updated_datetime": None,
        }

    # ---------------------------------------------------------------- rendering

    def _item(self, spec: _InstitutionSpec) -> DemoPlaidItem:
        account_keys = [a.key for a in _ALL_ACCOUNTS if a.institution == spec.key]
        cards = [k for k in account_keys if _spec(k).type == "credit"]
        students = [k for k in account_keys if _spec(k).subtype == "student"]
        liabilities = None
        if cards or students:
            liabilities = {
                "accounts": self._accounts(account_keys),
                "item": self._item_object(spec),
                "liabilities": {
                    "credit": [self.liabilities[k] for k in cards] or None,
                    "mortgage": None,
                    "student": [self.loans[k] for k in students] or None,
                },
                "request_id": self.ids.request_id(),
            }
        return DemoPlaidItem(
            access_token=f"access-demo-{spec.key}-{spec.institution_id.replace('_', '-')}",
            item_get={
                "item": {
                    **self._item_object(spec),
                    "created_at": _iso_datetime(add_months(self.today, -3), 16 * 60 + 5, 31),
                },
                "status": {
                    "investments": None,
                    "transactions": {
                        "last_successful_update": _iso_datetime(
                            self.today - timedelta(days=1), 22 * 60 + 41, 8
                        ),
                        "last_failed_update": None,
                    },
                    "last_webhook": None,
                },
                "request_id": self.ids.request_id(),
            },
            institution={
                "institution": self._institution(spec),
                "request_id": self.ids.request_id(),
            },
            accounts_get={
                "accounts": self._accounts(account_keys),
                "item": self._item_object(spec),
                "request_id": self.ids.request_id(),
            },
            transactions_sync_pages=self._sync_pages(spec, account_keys),
            liabilities_get=liabilities,
        )

    def _item_object(self, spec: _InstitutionSpec) -> JsonDict:
        return {
            "item_id": self.item_ids[spec.key],
            "institution_id": spec.institution_id,
            "institution_name": spec.name,
            "webhook": None,
            "error": None,
            "available_products": list(spec.available_products),
            "billed_products": ["liabilities", "transactions"],
            "products": ["liabilities", "transactions"],
            "consented_products": ["liabilities", "transactions"],
            "consent_expiration_time": self._consent_expiration(spec),
            "update_type": "background",
            "auth_method": None,
        }

    def _consent_expiration(self, spec: _InstitutionSpec) -> str | None:
        """The OAuth bank's consent lapses in ten days, at noon UTC: the same calendar day
        in every time zone from UTC-11 to UTC+11, so the overview warns of it."""
        if not spec.oauth:
            return None
        return _iso_datetime(self.today + timedelta(days=_CONSENT_DAYS_LEFT), 12 * 60)

    @staticmethod
    def _institution(spec: _InstitutionSpec) -> JsonDict:
        return {
            "institution_id": spec.institution_id,
            "name": spec.name,
            "products": list(spec.products),
            "country_codes": ["US"],
            "routing_numbers": [],
            "oauth": spec.oauth,
            "connection_availability": "SUPPORTED",
            "url": spec.url,
            "primary_color": spec.primary_color,
            "logo": None,
            "dtc_numbers": [],
        }

    def _accounts(self, account_keys: list[str]) -> list[JsonDict]:
        return [
            {
                "account_id": self.account_ids[key],
                "balances": dict(self.balances[key]),
                "mask": _spec(key).mask,
                "name": _spec(key).name,
                "official_name": _spec(key).official_name,
                "type": _spec(key).type,
                "subtype": _spec(key).subtype,
                "holder_category": "personal",
            }
            for key in account_keys
        ]

    def _sync_pages(self, spec: _InstitutionSpec, account_keys: list[str]) -> tuple[JsonDict, ...]:
        def render(txn: _Txn) -> JsonDict:
            return self._transaction(txn, spec.reports_datetimes)

        mine = [t for t in self.txns if t.account in account_keys]
        stale = [t for t in self.stale_pending if t.account in account_keys]
        replacements = [t for t in mine if t.pending_transaction_id]
        settled = [t for t in mine if not t.pending_transaction_id]
        settled.sort(key=lambda t: (t.date, t.minute, t.transaction_id), reverse=True)

        first_versions = []
        modified = []
        for txn in settled:
            body = render(txn)
            changes = self.modified_originals.get(txn.transaction_id)
            if changes:
                modified.append(body)
                body = {**render(txn), **changes}
            first_versions.append(body)
        # Pending entries come first so that their removal always lands on a later page.
        added = [render(t) for t in stale] + first_versions + [render(t) for t in replacements]
        chunks = [added[i : i + _PAGE_SIZE] for i in range(0, len(added), _PAGE_SIZE)]
        if len(chunks) < 2:
            chunks.append([])  # modifications and removals need a page after the first
        removed = [
            {"transaction_id": t.transaction_id, "account_id": self.account_ids[t.account]}
            for t in stale
        ]
        pages = []
        for index, chunk in enumerate(chunks):
            is_last = index == len(chunks) - 1
            pages.append(
                {
                    "added": chunk,
                    "modified": modified if is_last else [],
                    "removed": removed if is_last else [],
                    "next_cursor": self.ids.cursor(),
                    "has_more": not is_last,
                    "accounts": self._accounts(account_keys),
                    "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
                    "request_id": self.ids.request_id(),
                }
            )
        return tuple(pages)

    def _transaction(self, txn: _Txn, with_datetimes: bool) -> JsonDict:
        merchant = txn.merchant
        primary = _primary_of(merchant.detailed)
        entity_id = self.entity_ids.get(merchant.key)
        counterparties = []
        if merchant.merchant_name:
            counterparties.append(
                {
                    "name": merchant.merchant_name,
                    "type": merchant.counterparty_type,
                    "website": merchant.website,
                    "logo_url": None,
                    "entity_id": entity_id,
                    "confidence_level": merchant.confidence,
                }
            )
        return {
            "account_id": self.account_ids[txn.account],
            "account_owner": None,
            "amount": _dollars(txn.cents),
            "authorized_date": txn.auth_date.isoformat(),
            "authorized_datetime": (
                _iso_datetime(txn.auth_date, txn.minute) if with_datetimes else None
            ),
            "category": None,
            "category_id": None,
            "check_number": None,
            "counterparties": counterparties,
            "date": txn.date.isoformat(),
            "datetime": _iso_datetime(txn.date, txn.minute) if with_datetimes else None,
            "iso_currency_code": txn.currency,
            "location": _location(merchant.place),
            "logo_url": None,
            "merchant_entity_id": entity_id,
            "merchant_name": merchant.merchant_name,
            "name": merchant.descriptor,
            "original_description": None,
            "payment_channel": merchant.channel,
            "payment_meta": self._payment_meta(merchant),
            "pending": txn.pending,
            "pending_transaction_id": txn.pending_transaction_id,
            "personal_finance_category": {
                "primary": primary,
                "detailed": merchant.detailed,
                "confidence_level": merchant.confidence,
            },
            "personal_finance_category_icon_url": (
                f"https://plaid-category-icons.plaid.com/PFC_{primary}.png"
            ),
            "transaction_code": None,
            "transaction_id": txn.transaction_id,
            "transaction_type": _transaction_type(merchant.channel),
            "unofficial_currency_code": None,
            "website": merchant.website,
        }

    def _payment_meta(self, merchant: _Merchant) -> JsonDict:
        meta: JsonDict = {
            "by_order_of": None,
            "payee": None,
            "payer": None,
            "payment_method": None,
            "payment_processor": None,
            "ppd_id": None,
            "reason": None,
            "reference_number": None,
        }
        if merchant.ach_role:
            meta[merchant.ach_role] = merchant.merchant_name
            meta["payment_method"] = "ACH"
            meta["ppd_id"] = self.ppd_ids[merchant.key]
        return meta


def _spec(account: str) -> _AccountSpec:
    return next(a for a in _ALL_ACCOUNTS if a.key == account)


def _apr(
    percentage: float, apr_type: str, subject_cents: int | None, interest_cents: int | None
) -> JsonDict:
    return {
        "apr_percentage": percentage,
        "apr_type": apr_type,
        "balance_subject_to_apr": None if subject_cents is None else _dollars(subject_cents),
        "interest_charge_amount": None if interest_cents is None else _dollars(interest_cents),
    }


def _location(place: _Place | None) -> JsonDict:
    if place is None:
        return {
            "address": None,
            "city": None,
            "region": None,
            "postal_code": None,
            "country": None,
            "lat": None,
            "lon": None,
            "store_number": None,
        }
    return {
        "address": place.address,
        "city": place.city,
        "region": place.region,
        "postal_code": place.postal_code,
        "country": place.country,
        "lat": place.lat,
        "lon": place.lon,
        "store_number": place.store_number,
    }


def _transaction_type(channel: str) -> str:
    # The deprecated transaction_type still arrives; it mirrors the payment channel.
    return {"in store": "place", "online": "digital"}.get(channel, "special")


def balance_get_body(item: DemoPlaidItem, checked_at: datetime) -> dict:
    """What /accounts/balance/get answers for a demo item: its accounts as /accounts/get gives
    them, each balance stamped as read at ``checked_at`` (the demo bank has nothing newer)."""
    stamp = checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    accounts = [
        {**account, "balances": {**account["balances"], "last_updated_datetime": stamp}}
        for account in item.accounts_get["accounts"]
    ]
    return {**item.accounts_get, "accounts": accounts}
