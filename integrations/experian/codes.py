"""Code tables for Experian's Consumer Credit Profile API v2 (credit-report response).

Every coded field in a credit profile is a short string ("07", "BC", "1", "C" ...). This module
turns those codes into plain-language labels and never raises on unexpected input: an unknown
code becomes "unknown (code X)" and a missing one "not reported".

Where the tables come from (facts, reworded; see the project's reference notes):

* Account type / inquiry type, account condition and payment status, kind of business (KOB),
  ECOA, and the Experian/Fair Isaac score factor texts: Experian's CIS technical appendix
  (sections G, H, K, L and the risk-model pages), as transcribed in public Experian client code,
  cross-checked against Experian's "Glossary of account conditions and payment status" and
  against sandbox response bodies found in public code.
* Payment-history characters: Experian's Credit Profile guides (C, N, 0, 1-6, -, B, 9) and the
  CDIA Metro 2 payment-history profile (D, G, H, J, K, L), which the enhanced history follows.
* VantageScore factor texts: Experian's published VantageScore score factor code list.
* Score bands: the bands FICO and VantageScore publish for consumer education.

Codes that could not be confirmed are left out on purpose (they show as unknown).
Public record status codes in particular could not be confirmed, so that table is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from integrations.models import InquiryKind, PaymentStatus

NOT_REPORTED = "not reported"


# --- Account type (tradeline accountType; also the inquiry "type") ---------------------------

ACCOUNT_TYPES: dict[str, str] = {
    "00": "Auto loan",
    "01": "Unsecured loan",
    "02": "Secured loan",
    "03": "Partially secured loan",
    "04": "Home improvement loan",
    "05": "FHA home improvement loan",
    "06": "Installment sales contract",
    "07": "Charge account",
    "08": "Real estate loan, specific type unknown",
    "09": "Loan secured by co-signer",
    "0A": "Time share loan",
    "0C": "Debt buyer account",
    "0F": "Construction loan",
    "0G": "Flexible spending credit card",
    "10": "Business loan with personal liability",
    "11": "Recreational merchandise loan",
    "12": "Education loan",
    "13": "Lease",
    "14": "Co-signer (not borrower)",
    "15": "Check credit or line of credit",
    "16": "FHA co-signer (not borrower)",
    "17": "Manufactured home loan",
    "18": "Credit card",
    "19": "FHA real estate loan",
    "1A": "Lender-placed insurance",
    "1B": "Legitimate business purpose",
    "1C": "Purchase of household goods",
    "20": "Note loan",
    "22": "Secured by household goods",
    "23": "Secured by household goods and other collateral",
    "25": "VA real estate loan",
    "26": "Conventional real estate mortgage",
    "27": "Real estate mortgage (usually a second mortgage)",
    "29": "Rental agreement",
    "2A": "Secured credit card",
    "2C": "Farmers Home Administration (FmHA) loan",
    "30": "Summary of accounts with the same status",
    "31": "Unknown: credit extension, review or collection",
    "33": "Manual mortgage",
    "37": "Combined credit plan",
    "3A": "Auto lease",
    "3C": "Licensing (California and Nevada legal requirement)",
    "43": "Debit card",
    "47": "Secured line of credit",
    "48": "Collection department, agency or attorney",
    "4D": "Telecommunications or cellular",
    "4F": "Tax collection",
    "50": "Family support",
    "5A": "Real estate junior lien (non-purchase money)",
    "5B": "Second mortgage",
    "5C": "Checking or savings, possible additional offers",
    "65": "Government unsecured guaranteed loan",
    "66": "Government secured guaranteed loan",
    "67": "Government unsecured direct loan",
    "68": "Government secured direct loan",
    "69": "Government grant",
    "6A": "Commercial installment loan",
    "6B": "Commercial mortgage",
    "6C": "Credit granting, possible additional offers",
    "6D": "Home equity loan",
    "70": "Government overpayment",
    "71": "Government fine",
    "72": "Government fee for services",
    "73": "Government employee advance",
    "74": "Government miscellaneous debt",
    "77": "Returned check",
    "78": "Installment loan",
    "7A": "Commercial line of credit",
    "7B": "Agricultural loan",
    "7C": "Service activation, possible additional offers",
    "83": "Prescreen inquiry (post-prescreen or extract)",
    "85": "Mortgage with bi-monthly payments",
    "86": "Automated mortgage report",
    "87": "Mortgage with semi-monthly payments",
    "89": "Home equity line of credit",
    "8A": "Business credit card",
    "8B": "Deposit related",
    "8C": "ID profile",
    "90": "Medical debt",
    "91": "Debt consolidation",
    "92": "Utility company",
    "93": "Child support",
    "94": "Spousal support",
    "95": "Attorney fees",
    "96": "Checking account",
    "98": "Credit granting",
    "9A": "Secured home improvement loan",
    "9B": "Business line, personally guaranteed",
}

# The inquiry "type" field (the purpose of the inquiry) uses the same code list.
INQUIRY_TYPES: dict[str, str] = ACCOUNT_TYPES

# --- Account condition and payment status (status, enhancedAccountCondition, ...Status) -------

ACCOUNT_STATUS: dict[str, str] = {
    "00": "No condition or status reported",
    "03": "Credit card lost or stolen",
    "05": "Account transferred to another office",
    "07": "Current; was 60 days past due 2 times",
    "08": "Current; was 60 days past due 3 times",
    "09": "Current; was 60 days past due 4 or more times",
    "10": "Account renewed or refinanced",
    "11": "Current account in good standing",
    "12": "Paid satisfactorily",
    "13": "Paid account, zero balance",
    "14": "Current; was 90 days past due 2 times",
    "15": "Current; was 90 days past due 3 or more times",
    "16": "Current; was 120 days past due 2 or more times",
    "17": "Current; was 150 days past due 2 or more times",
    "20": "Credit line closed (reason unknown or at consumer's request); may have a balance",
    "21": "Consumer reported as deceased",
    "22": "60 days past due 2 times",
    "23": "60 days past due 3 times",
    "24": "60 days past due 4 or more times",
    "25": "90 days past due 2 times",
    "26": "90 days past due 3 or more times",
    "27": "120 days past due 2 or more times",
    "28": "150 days past due 2 or more times",
    "29": "90 days past due; was 120 days or more past due",
    "31": "Current; was 30 days past due",
    "32": "Current; was 30 days past due 2 times",
    "33": "Current; was 30 days past due 3 times",
    "34": "Current; was 30 days past due 4 times",
    "35": "Current; was 30 days past due 5 times",
    "36": "Current; was 30 days past due 6 or more times",
    "37": "Current; was 60 days past due",
    "38": "Current; was 90 days past due",
    "39": "Current; was 120 days past due",
    "40": "Current; was 150 days past due",
    "41": "Current; was 180 days or more past due",
    "42": "Redeemed; was a repossession",
    "43": "Current; was a collection, insurance or government claim, or default termination",
    "45": "Current; a foreclosure was started",
    "50": "Paid; was 30 days past due",
    "51": "Paid; was 30 days past due 2 or 3 times",
    "52": "Paid; was 30 days past due 4 times",
    "53": "Paid; was 30 days past due 5 times",
    "54": "Paid; was 30 days past due 6 or more times",
    "55": "Paid; was 60 days past due",
    "56": "Paid; was 90 days past due",
    "57": "Paid; was 120 days past due",
    "58": "Paid; was 150 days past due",
    "59": "Paid; was 180 days or more past due",
    "60": "Paid; was a voluntary surrender",
    "61": "Paid; was a collection, insurance or government claim, or default termination",
    "62": "Paid; was a repossession",
    "63": "Paid; was a charge-off",
    "64": "Paid; a foreclosure was started",
    "66": "Creditor paid by the company that sold the merchandise",
    "67": "Debt included in or discharged through Chapter 7, 11 or 12 bankruptcy",
    "68": "Settled: legally paid in full for less than the full balance",
    "69": "Debt included in or discharged through Chapter 13 bankruptcy",
    "71": "30 days past due",
    "72": "30 days past due 2 times",
    "73": "30 days past due 3 times",
    "74": "30 days past due 4 times",
    "75": "30 days past due 5 times",
    "76": "30 days past due 6 or more times",
    "77": "30 days past due; was 60 days past due",
    "78": "60 days past due",
    "79": "30 or 60 days past due; was 90 days past due",
    "80": "90 days past due",
    "81": "30, 60 or 90 days past due; was 120 days or more past due",
    "82": "120 days past due",
    "83": "150 days past due",
    "84": "180 days past due",
    "85": "Consumer now located (the creditor could not locate them before)",
    "86": "Now paying; was a charge-off",
    "87": "Foreclosure proceeding started",
    "88": "Claim filed with the government for the insured part of the balance",
    "89": "Deed received in lieu of foreclosure on a defaulted mortgage",
    "90": "Credit line closed; not paying as agreed",
    "91": "Lease or sales contract terminated early by default",
    "92": "Claim filed for the insured part of the balance",
    "93": "Seriously past due; assigned to collections or an attorney",
    "94": "Foreclosure: creditor reclaimed the collateral",
    "95": "Voluntary surrender",
    "96": "Repossession: merchandise taken back; there may be a balance due",
    "97": "Charge-off: unpaid balance reported as a loss",
    "98": "Creditor cannot locate consumer",
    "A1": "Open account",
    "A2": "Paid account, zero balance",
    "A3": "Closed account",
    "A4": "Inactive account",
    # Bankruptcy account conditions (single letters).
    "A": "Petitioned for Chapter 7 bankruptcy",
    "B": "Petitioned for Chapter 11 bankruptcy",
    "C": "Petitioned for Chapter 12 bankruptcy",
    "D": "Petitioned for Chapter 13 bankruptcy",
    "E": "Discharged through Chapter 7 bankruptcy",
    "F": "Discharged through Chapter 11 bankruptcy",
    "G": "Discharged through Chapter 12 bankruptcy",
    "H": "Discharged through Chapter 13 bankruptcy",
    "I": "Chapter 7 bankruptcy dismissed",
    "J": "Chapter 11 bankruptcy dismissed",
    "K": "Chapter 12 bankruptcy dismissed",
    "L": "Chapter 13 bankruptcy dismissed",
    "M": "Chapter 7 bankruptcy withdrawn",
    "P": "Chapter 13 bankruptcy withdrawn",
    "R": "Reaffirmation of debt",
    "V": "Reaffirmation of debt rescinded (Chapter 7)",
    "W": "Reaffirmation of debt rescinded (Chapter 11)",
    "X": "Reaffirmation of debt rescinded (Chapter 12)",
    "Y": "Reaffirmation of debt rescinded (Chapter 13)",
}

# --- Kind of business (kob) of the creditor or inquirer ---------------------------------------

KIND_OF_BUSINESS: dict[str, str] = {
    "AB": "Auto rental",
    "AC": "Auto leasing",
    "AF": "Farm implement dealer",
    "AL": "Truck dealer",
    "AN": "New car dealer",
    "AP": "Auto parts",
    "AR": "Auto repair or body shop",
    "AS": "Service station",
    "AT": "Tire dealer (TBA store)",
    "AU": "Used car dealer",
    "AZ": "Automotive, non-specific",
    "BB": "Bank, non-specific",
    "BC": "Bank credit card",
    "BI": "Bank installment loans",
    "BM": "Bank mortgage department",
    "BN": "Industrial bank",
    "BO": "Co-op bank",
    "BS": "Savings bank",
    "CG": "General clothing store",
    "CS": "Specialty clothing store",
    "CZ": "Clothing, non-specific",
    "DC": "Department store",
    "DV": "Variety store",
    "DZ": "Department or variety store, non-specific",
    "EB": "Business education",
    "EC": "College",
    "EL": "Student loans",
    "ET": "Technical education",
    "EU": "University",
    "EV": "Vocational or trade school",
    "EZ": "Education, non-specific",
    "FA": "Auto finance company",
    "FB": "Mortgage broker",
    "FC": "Credit union",
    "FD": "Bail bonds",
    "FF": "Sales finance company",
    "FI": "Investment firm",
    "FL": "Savings and loan (mortgage)",
    "FM": "Mortgage company",
    "FP": "Personal loan company",
    "FR": "Mortgage reporter",
    "FS": "Savings and loan company",
    "FT": "Investment securities",
    "FU": "Bulk purchase finance",
    "FW": "Bulk purchase finance, general processor",
    "FY": "Loan broker, miscellaneous",
    "FZ": "Finance company, non-specific",
    "GD": "Dairy",
    "GN": "Neighborhood grocer",
    "GS": "Supermarket",
    "GZ": "Groceries, non-specific",
    "HA": "Appliance sales and service",
    "HC": "Carpets and flooring",
    "HD": "Interior decorator or design",
    "HF": "Home furnishings store",
    "HM": "Music and record store",
    "HR": "Furniture rental",
    "HT": "Television and radio sales and service",
    "HZ": "Home furnishings, non-specific",
    "IG": "General insurance",
    "IL": "Life insurance",
    "IZ": "Insurance, non-specific",
    "JA": "Jeweler",
    "JC": "Cameras",
    "JP": "Computer sales and service",
    "JV": "Video rental and sales",
    "JZ": "Jewelry, cameras and computers, non-specific",
    "KG": "General contractor",
    "KI": "Home improvement contractor",
    "KS": "Sub-contractor",
    "KZ": "Contractor, non-specific",
    "LA": "Air conditioning, heating, plumbing or electrical sales",
    "LF": "Fixture supplier",
    "LH": "Hardware store",
    "LP": "Paint, glass or wallpaper store",
    "LY": "Lumber yard",
    "LZ": "Building materials or hardware, non-specific",
    "MA": "Animal hospital",
    "MB": "Dentist",
    "MC": "Chiropractor",
    "MD": "Doctor",
    "MF": "Funeral home",
    "MG": "Medical group",
    "MH": "Hospital or clinic",
    "MM": "Cemetery",
    "MO": "Osteopath",
    "MP": "Pharmacy or drug store",
    "MS": "Optometrist or optical store",
    "MV": "Veterinarian",
    "MZ": "Medical or health related, non-specific",
    "NA": "Airline",
    "ND": "Credit card, department store",
    "NF": "Credit card, finance company",
    "NS": "Credit card, savings and loan",
    "NU": "Credit card, credit union",
    "NZ": "National credit card or airline, non-specific",
    "OC": "Oil company credit card",
    "OZ": "Oil company, non-specific",
    "PA": "Accountant or related service",
    "PB": "Barber or beauty shop",
    "PC": "Equipment leasing",
    "PD": "Dry cleaning or laundry",
    "PE": "Engineering",
    "PF": "Florist",
    "PG": "Photographer",
    "PH": "Health and fitness club",
    "PI": "Detective service",
    "PL": "Legal or related service",
    "PM": "Check cashing service",
    "PN": "Restaurant or concession",
    "PP": "Pest control",
    "PR": "Country club",
    "PS": "Employment screening",
    "PT": "Consumer credit counseling service",
    "PX": "Prequalification service",
    "PY": "Internet prequalification service",
    "PZ": "Personal services (non-medical), non-specific",
    "QZ": "Mail order house, non-specific",
    "RA": "Apartments",
    "RC": "Office leasing",
    "RD": "Mobile home dealer",
    "RE": "Real estate sales and rentals",
    "RH": "Hotel",
    "RM": "Motel",
    "RP": "Mobile home park",
    "RR": "Property management company",
    "RZ": "Real estate or public accommodations, non-specific",
    "SA": "Aircraft sales and service",
    "SB": "Boat and marina sales and service",
    "SM": "Motorcycle and bicycle sales",
    "SZ": "Sporting goods, non-specific",
    "TC": "Farm chemical and fertilizer store",
    "TF": "Feed store",
    "TN": "Nursery and landscaping",
    "TZ": "Farm and garden supplies, non-specific",
    "UA": "Water utility or bottled water",
    "UC": "Cable or TV provider",
    "UD": "Garbage and rubbish disposal",
    "UE": "Electric light and power company",
    "UF": "Fuel oil distributor",
    "UG": "Gas company (natural or bottled)",
    "UH": "Coal or wood supplier",
    "UL": "Long distance telephone service",
    "UO": "Online or internet access provider",
    "UP": "Paging company",
    "UR": "Waste recycling or hazardous waste handler",
    "US": "Satellite TV provider",
    "UT": "Telephone company",
    "UV": "Home security company",
    "UW": "Wireless telephone service",
    "UZ": "Utilities and fuel, non-specific",
    "VC": "City or county government",
    "VF": "Federal government",
    "VK": "Child support agency",
    "VL": "Law enforcement",
    "VS": "State government",
    "VX": "Court",
    "VZ": "Government, non-specific",
    "WA": "Wholesale automotive supplies",
    "WB": "Wholesale building supplies or hardware",
    "WC": "Wholesale clothing and dry goods",
    "WD": "Wholesale drugs and chemicals",
    "WG": "Wholesale grocery",
    "WH": "Wholesale home furnishings",
    "WM": "Wholesale machinery and equipment",
    "WP": "Credit card processor",
    "WZ": "Wholesale, non-specific",
    "XA": "Advertising agency",
    "XD": "Direct mail list service",
    "XL": "List processing vendor",
    "XM": "Media",
    "XZ": "Advertising, miscellaneous",
    "YA": "Collection department, credit bureau",
    "YB": "Collection department, bank",
    "YC": "Collection agency",
    "YD": "Collection department, department store",
    "YF": "Collection department, loan company",
    "YL": "Collections attorney",
    "YR": "Repossession company",
    "YZ": "Collections, non-specific",
    "ZA": "Auto reseller",
    "ZB": "Credit report broker",
    "ZC": "Credit bureau",
    "ZD": "Reseller, direct to consumer",
    "ZE": "Employment reseller",
    "ZF": "Finance reseller",
    "ZI": "Insurance reseller",
    "ZL": "Leasing and rental reseller",
    "ZM": "Manufacturing",
    "ZP": "Personal services reseller",
    "ZR": "Retail, not elsewhere classified",
    "ZS": "Services, not elsewhere classified",
    "ZT": "Tenant screening reseller",
    "ZW": "Wholesale, not elsewhere classified",
    "ZY": "Collection reseller",
    "ZZ": "All others, not elsewhere classified",
}

# --- ECOA (whose account it is) ----------------------------------------------------------------

ECOA: dict[str, str] = {
    "0": "Undesignated",
    "1": "Individual",
    "2": "Joint account, contractually responsible",
    "3": "Authorized user",
    "4": "Joint account (contractual or authorized user, not distinguished)",
    "5": "Co-signer",
    "6": "On behalf of another person",
    "7": "Signer (account has a co-signer)",
    "A": "Relationship ended (was undesignated)",
    "B": "Relationship ended (was joint, contractually responsible)",
    "C": "Relationship ended (was authorized user)",
    "D": "Relationship ended (was joint account)",
    "E": "Relationship ended (was co-signer)",
    "F": "Relationship ended (was on behalf of another person)",
    "G": "Relationship ended (was signer)",
    "H": "Relationship ended (was individual; mortgage assumed by others)",
    "X": "Consumer reported as deceased",
}

# --- Public record status ----------------------------------------------------------------------

# Experian's public-record status codes could not be confirmed from any source, so none are
# listed: every status shows as "unknown (code X)". (Since 2017-2018 only bankruptcies appear on
# US consumer credit reports; civil judgments and tax liens were removed.)
PUBLIC_RECORD_STATUS: dict[str, str] = {}

# --- Small field tables ------------------------------------------------------------------------

EVALUATION: dict[str, str] = {
    "P": "Positive",
    "N": "Negative (may need further review)",
}

AMOUNT_QUALIFIERS: dict[str, str] = {
    "L": "Credit limit",
    "H": "High balance",
    "O": "Original amount",
    "C": "Charge-off amount",
}

# --- Payment history (one character per month, most recent first) -----------------------------

PAYMENT_HISTORY: dict[str, str] = {
    "C": "Current",
    "N": "Current, zero balance (no update received)",
    "0": "Current, zero balance",
    "1": "30 days past due",
    "2": "60 days past due",
    "3": "90 days past due",
    "4": "120 days past due",
    "5": "150 days past due",
    "6": "180 days past due",
    "9": "Collection, charge-off, claim, settlement or bankruptcy",
    "-": "No history reported for this month",
    "B": "Account condition changed; payment code not applicable",
    "D": "No payment history reported for this month",
    "G": "Collection",
    "H": "Foreclosure",
    "J": "Voluntary surrender",
    "K": "Repossession",
    "L": "Charge-off",
}

_PAYMENT_HISTORY_STATUS: dict[str, tuple[PaymentStatus, int | None]] = {
    "C": ("current", None),
    "N": ("current", None),
    "0": ("current", None),
    "1": ("late", 30),
    "2": ("late", 60),
    "3": ("late", 90),
    "4": ("late", 120),
    "5": ("late", 150),
    "6": ("late", 180),
    "9": ("derogatory", None),
    "-": ("no_data", None),
    "B": ("no_data", None),
    "D": ("no_data", None),
    "G": ("derogatory", None),
    "H": ("derogatory", None),
    "J": ("derogatory", None),
    "K": ("derogatory", None),
    "L": ("derogatory", None),
}

# --- Score factors (reason codes) --------------------------------------------------------------

VANTAGESCORE_FACTORS: dict[str, str] = {
    "04": "The balances on your accounts are too high compared to loan amounts",
    "05": "Too many of the delinquencies on your accounts are recent",
    "06": "You have too many accounts that were opened recently",
    "07": "You have too many delinquent or derogatory accounts",
    "08": "You have either too few loans or too many loans with recent delinquencies",
    "09": "The worst payment status on your accounts is delinquent or derogatory",
    "10": "You have either very few loans or too many loans with delinquencies",
    "11": "The total of your delinquent or derogatory account balances is too high",
    "12": "The date that you opened your oldest account is too recent",
    "13": "Your most recently opened account is too new",
    "14": "Lack of sufficient credit history",
    "15": "Your newest delinquent or derogatory payment status is too recent",
    "16": "The total of all balances on your open accounts is too high",
    "17": "Balances on previously delinquent accounts are too high compared to loan amounts",
    "18": "Total of balances on accounts never late is too high compared to loan amounts",
    "21": "No open accounts in your credit file",
    "22": "No recently reported account information",
    "23": "Lack of sufficient relevant account information",
    "29": "Too many of your open bankcard or revolving accounts have a balance",
    "30": "Too few of your bankcard or other revolving accounts have high limits",
    "31": "Too many bankcard or other revolving accounts were opened recently",
    "32": "Balances on bankcard or revolving accounts are too high compared to credit limits",
    "33": "Your worst bankcard or revolving account status is delinquent or derogatory",
    "34": "The total of all balances on bankcard or revolving accounts is too high",
    "35": "Your highest bankcard or revolving account balance is too high",
    "36": "Your largest credit limit on open bankcard or revolving accounts is too low",
    "39": "Available credit on your open bankcard or revolving accounts is too low",
    "40": "The date you opened your oldest bankcard or revolving account is too recent",
    "42": "The date you opened your newest bankcard or revolving account is too recent",
    "43": "Lack of sufficient credit history on bankcard or revolving accounts",
    "44": "Too many bankcard or revolving accounts with delinquent or derogatory status",
    "45": "Total balances are too high on delinquent or derogatory bankcard or revolving accounts",
    "47": "No open bankcard or revolving accounts in your credit file",
    "48": "No recently reported bankcard or revolving account information",
    "49": "Lack of sufficient relevant bankcard or revolving account information",
    "53": "The worst status on your real estate accounts is delinquent or derogatory",
    "54": "The amount of balance paid down on your open real estate accounts is too low",
    "55": "Open real estate account balances are too high compared to their loan amounts",
    "57": "Too many real estate accounts with delinquent or derogatory payment status",
    "58": "The total of all balances on your open real estate accounts is too high",
    "61": "No open real estate accounts in your credit file",
    "62": "No recently reported real estate account information",
    "63": "Lack of sufficient relevant real estate account information",
    "64": "No open first mortgage accounts in your credit file",
    "65": "Lack of sufficient relevant first mortgage account information",
    "66": "Your open auto account balances are too high compared to their loan amounts",
    "68": "No open auto accounts in your credit file",
    "69": "Lack of sufficient relevant auto account information",
    "71": "You have either very few installment loans or too many with delinquencies",
    "72": "Too many installment accounts with a delinquent or derogatory payment status",
    "73": "The worst status on your installment accounts is delinquent or derogatory",
    "74": "The balance amount paid down on your open installment accounts is too low",
    "75": "The installment account that you opened most recently is too new",
    "76": "You have insufficient credit history on installment loans",
    "77": "Your newest delinquent or derogatory status on installment accounts is too recent",
    "78": "Balances on installment accounts are too high compared to their loan amounts",
    "79": "Too many of the delinquencies on your installment accounts are recent",
    "81": "No open installment accounts in your credit file",
    "83": "Lack of sufficient relevant installment account information",
    "84": "The number of inquiries was also a factor, but its effect was not significant",
    "85": "You have too many inquiries on your credit report",
    "86": "Your credit report contains too many derogatory public records",
    "87": "Your credit report contains too many unsatisfied public records",
    "88": "One or more derogatory public records in your credit file is too recent",
    "90": "Too few discharged bankruptcies",
    "93": "The worst status on your student loan accounts is delinquent or derogatory",
    "94": "The balance amount paid down on your open student loan accounts is too low",
    "95": "You have too many collection agency accounts that are unpaid",
    "96": "The total you owe on collection agency accounts is high",
    "97": "You have too few credit accounts",
    "98": "There is a bankruptcy on your credit report",
}

FICO_FACTORS: dict[str, str] = {
    "01": "Amount owed on accounts is too high",
    "02": "Level of delinquency on accounts",
    "03": "Too few bank or national revolving accounts",
    "04": "Too many bank or national revolving accounts",
    "05": "Too many accounts with balances",
    "06": "Too many consumer finance company accounts",
    "07": "Account payment history is too new to rate",
    "08": "Too many inquiries in the last 12 months",
    "09": "Too many accounts recently opened",
    "10": "Ratio of balance to limit on bank revolving or other revolving accounts is too high",
    "11": "Amount owed on revolving accounts is too high",
    "12": "Length of time revolving accounts have been established",
    "13": "Time since delinquency is too recent or unknown",
    "14": "Length of time accounts have been established",
    "15": "Lack of recent bank or national revolving information",
    "16": "Lack of recent revolving account information",
    "17": "No recent non-mortgage balance information",
    "18": "Number of accounts with delinquency",
    "19": "Too few accounts currently paid as agreed",
    "20": "Time since derogatory public record or collection is too short",
    "21": "Amount past due on accounts",
    "22": "Serious delinquency, derogatory public record or collection filed",
    "24": "No recent revolving balances",
    "25": "Length of time installment loans have been established",
    "26": "Number of revolving accounts",
    "28": "Number of established accounts",
    "30": "Time since most recent account opening is too short",
    "31": "Too few accounts with recent payment information",
    "32": "Lack of recent installment loan information",
    "33": "Proportion of loan balances to loan amounts is too high",
    "34": "Amount owed on delinquent accounts",
    "36": "Length of time open installment loans have been established",
    "37": "Number of finance company accounts established relative to length of finance history",
    "38": "Serious delinquency and public record or collection filed",
    "39": "Serious delinquency",
    "40": "Derogatory public record or collection filed",
    "98": "Lack of recent auto loan information",
    "99": "Lack of recent consumer finance company account information",
}

# Model indicators whose factors use the VantageScore list, and the Experian/Fair Isaac models
# whose factors use the FICO list.
VANTAGESCORE_MODELS: frozenset[str] = frozenset({"V4"})
FAIR_ISAAC_MODELS: frozenset[str] = frozenset(
    {"6", "7", "8", "9", "F", "I", "K", "N", "R", "V"}
    | {"AA", "AB", "AC", "AD", "AE", "AF", "AG", "AJ", "F9", "FE", "FF"}
)

# --- Risk models and score bands ---------------------------------------------------------------

# indicator -> (name, min score, max score, band family)
RISK_MODELS: dict[str, tuple[str, int, int, str]] = {
    "V4": ("VantageScore 4.0", 300, 850, "vantagescore"),
    "AF": ("FICO Score 8", 300, 850, "fico"),
    "F": ("Experian/Fair Isaac Risk Model V2", 300, 850, "fico"),
    "F9": ("FICO score (Experian model F9)", 300, 850, "fico"),
}

DEFAULT_SCORE_RANGE = (300, 850)

# Published consumer-education bands, (low, high, label), inclusive.
SCORE_BANDS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "fico": (
        (300, 579, "Poor"),
        (580, 669, "Fair"),
        (670, 739, "Good"),
        (740, 799, "Very good"),
        (800, 850, "Excellent"),
    ),
    "vantagescore": (
        (300, 499, "Very poor"),
        (500, 600, "Poor"),
        (601, 660, "Fair"),
        (661, 780, "Good"),
        (781, 850, "Excellent"),
    ),
}

# --- Inquiry kind ------------------------------------------------------------------------------

# Inquiry types that are promotional (prescreen) and never a credit application.
SOFT_INQUIRY_TYPES: frozenset[str] = frozenset({"83"})

# Kinds of business whose inquiries are not credit applications: insurance, employment
# screening, prequalification and marketing-list services.
SOFT_INQUIRY_KOBS: frozenset[str] = frozenset(
    {"IG", "IL", "IZ", "ZI", "PS", "ZE", "PX", "PY", "XD", "XL"}
)

# Inquiry types that name a credit product applied for: a hard inquiry.
HARD_INQUIRY_TYPES: frozenset[str] = frozenset(
    {
        "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "0A", "0F", "0G",
        "10", "11", "12", "13", "15", "17", "18", "19", "20", "22", "23", "25", "26",
        "27", "2A", "2C", "37", "3A", "47", "5A", "5B", "65", "66", "67", "68", "6A",
        "6B", "6C", "6D", "78", "7A", "7B", "85", "86", "87", "89", "8A", "91", "98",
        "9A", "9B",
    }
)  # fmt: skip


# --- Lookup helpers ----------------------------------------------------------------------------


def _clean(code: object) -> str:
    """The code as text without surrounding whitespace ("" when it cannot be read)."""
    if code is None:
        return ""
    try:
        return str(code).strip()
    except Exception:
        return ""


def _canonical(code: str) -> str:
    """Upper case; an all-digit code loses its zero padding ("07" and "7" are the same)."""
    text = code.strip().upper()
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return text


def _lookup(table: Mapping[str, str], code: str) -> str | None:
    """The table's label for a code, tolerant of padding, whitespace and case."""
    try:
        if code in table:
            return table[code]
        wanted = _canonical(code)
        for key, label in table.items():
            if _canonical(str(key)) == wanted:
                return label
    except Exception:
        return None
    return None


def _in(codes: frozenset[str], code: str) -> bool:
    wanted = _canonical(code)
    return any(_canonical(c) == wanted for c in codes)


def describe(table: Mapping[str, str], code: str | None) -> str:
    """Label for a code from a table; "not reported" when empty, "unknown (code X)" if unlisted."""
    text = _clean(code)
    if not text:
        return NOT_REPORTED
    label = _lookup(table, text)
    return label if label is not None else f"unknown (code {text})"


def account_type_label(code: str | None) -> str:
    """Label for a tradeline accountType (also used for enhancedAccountType)."""
    return describe(ACCOUNT_TYPES, code)


def inquiry_type_label(code: str | None) -> str:
    """Label for an inquiry type (the purpose of the inquiry)."""
    return describe(INQUIRY_TYPES, code)


def account_status_label(code: str | None) -> str:
    """Label for a tradeline status, enhancedAccountCondition or enhancedPaymentStatus."""
    return describe(ACCOUNT_STATUS, code)


def kind_of_business_label(kob: str | None) -> str:
    """Label for a kind-of-business (kob) code of a creditor or inquirer."""
    return describe(KIND_OF_BUSINESS, kob)


def ecoa_label(code: str | None) -> str:
    """Label for an ECOA code (whose account it is)."""
    return describe(ECOA, code)


def public_record_status_label(code: str | None) -> str:
    """Label for a public record status (no codes are confirmed, so known ones are none)."""
    return describe(PUBLIC_RECORD_STATUS, code)


def evaluation_label(code: str | None) -> str:
    """Label for an evaluation flag (P positive, N negative)."""
    return describe(EVALUATION, code)


def amount_qualifier_label(code: str | None) -> str:
    """Label for amount1Qualifier/amount2Qualifier."""
    return describe(AMOUNT_QUALIFIERS, code)


def inquiry_kind(type_code: str | None, kob: str | None = None) -> InquiryKind:
    """Hard (a credit application), soft (promotional, insurance, employment ...) or unknown.

    The response has no hard/soft flag. Prescreen inquiry types and inquirers whose business is
    insurance, employment screening, prequalification or marketing lists are soft; an inquiry
    type naming a credit product is hard; anything else (e.g. "31" review or collection, "48"
    collection) is unknown.
    """
    type_text = _clean(type_code)
    kob_text = _clean(kob)
    if type_text and _in(SOFT_INQUIRY_TYPES, type_text):
        return "soft"
    if kob_text and _in(SOFT_INQUIRY_KOBS, kob_text):
        return "soft"
    if type_text and _in(HARD_INQUIRY_TYPES, type_text):
        return "hard"
    return "unknown"


@dataclass(frozen=True)
class RiskModelInfo:
    """What a riskModel modelIndicator stands for, with its score range."""

    indicator: str
    name: str
    min_score: int
    max_score: int
    range_known: bool


def _model_key(model_indicator: str) -> str | None:
    wanted = _canonical(model_indicator)
    for key in RISK_MODELS:
        if _canonical(key) == wanted:
            return key
    return None


def risk_model_info(model_indicator: str | None) -> RiskModelInfo:
    """Name and score range of a risk model; unknown models get 300-850, range_known False."""
    text = _clean(model_indicator)
    low, high = DEFAULT_SCORE_RANGE
    if not text:
        return RiskModelInfo("", NOT_REPORTED, low, high, range_known=False)
    key = _model_key(text)
    if key is None:
        return RiskModelInfo(text, f"unknown (code {text})", low, high, range_known=False)
    name, low, high, _family = RISK_MODELS[key]
    return RiskModelInfo(key, name, low, high, range_known=True)


def score_factor_label(model_indicator: str | None, code: str | None) -> str:
    """Plain-language text of a score factor (reason) code for the given model."""
    text = _clean(code)
    if not text:
        return NOT_REPORTED
    model = _clean(model_indicator)
    if model and _in(VANTAGESCORE_MODELS, model):
        return describe(VANTAGESCORE_FACTORS, text)
    if model and _in(FAIR_ISAAC_MODELS, model):
        return describe(FICO_FACTORS, text)
    return f"unknown (code {text})"


def score_band(score: int, model: RiskModelInfo) -> str:
    """The model's published band for a score ("Poor" ... "Excellent"), else "unknown"."""
    key = _model_key(model.indicator) if isinstance(model, RiskModelInfo) else None
    if key is None:
        return "unknown"
    try:
        value = int(score)
    except (TypeError, ValueError, OverflowError):
        return "unknown"
    for low, high, label in SCORE_BANDS[RISK_MODELS[key][3]]:
        if low <= value <= high:
            return label
    return "unknown"


@dataclass(frozen=True)
class PaymentCode:
    """One character of a paymentHistory string, decoded (the parser dates it into a
    ``models.PaymentMonth``)."""

    code: str
    label: str
    status: PaymentStatus
    days_late: int | None


def decode_payment_month(char: str) -> PaymentCode:
    """Decode one payment-history character; unknown ones get status "unknown"."""
    text = _clean(char)
    if not text:
        return PaymentCode("", NOT_REPORTED, "no_data", None)
    code = text.upper()
    if code in PAYMENT_HISTORY:
        status, days_late = _PAYMENT_HISTORY_STATUS[code]
        return PaymentCode(code, PAYMENT_HISTORY[code], status, days_late)
    return PaymentCode(text, f"unknown (code {text})", "unknown", None)
