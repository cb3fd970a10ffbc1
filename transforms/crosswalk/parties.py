"""Responsible parties: who publishes a dataset and whom to contact about it.

The POD v1.1 crosswalk names the preferred parties (a cited publisher, the point of contact); when
those say nothing, the record usually still names someone. Before the fix-ups fall back to the
source's default organisation or contact (with a ``fixup:`` warning), the crosswalk walks the
record's parties by role: publisher, originator, owner, custodian, resourceProvider, distributor,
pointOfContact, then the metadata contact. Parties given only by reference (an ``xlink:title`` on
``gmd:pointOfContact`` or ``gmd:contact``, as NOAA's docucomp components are) count too.
"""

import re
from collections.abc import Callable

from transforms.crosswalk.common import email_address, mailto
from transforms.crosswalk.placeholders import is_placeholder
from transforms.crosswalk.xml_kinds import children, code, first, first_value, values

ROLES = ("publisher", "originator", "owner", "custodian", "resourceProvider", "distributor", "pointOfContact")
_OTHER_ROLES = (
    "author",
    "principalInvestigator",
    "processor",
    "user",
    "sponsor",
    "coAuthor",
    "collaborator",
    "editor",
    "mediator",
    "rightsHolder",
    "contributor",
    "funder",
    "stakeholder",
)
_ROLE_CODES = {role.lower(): role for role in ROLES + _OTHER_ROLES}
# "originator - U.S. Census Bureau" and "U.S. Census Bureau (point of Contact)".
_TITLE_ROLE_FIRST = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s+-\s+(.+)$", re.DOTALL)
_TITLE_ROLE_LAST = re.compile(r"^(.+?)\s*\(([A-Za-z][A-Za-z ]*)\)\s*$", re.DOTALL)
_EMAIL = "contactInfo/CI_Contact/address/CI_Address/electronicMailAddress"


def given(text: str | None) -> str | None:
    """The text with whitespace runs collapsed, or None when empty or a placeholder such as 'Not Provided'."""
    text = " ".join(text.split()) if text else ""
    return text if text and not is_placeholder(text) else None


def role_code(text: str | None) -> str | None:
    """A CI_RoleCode value from a code or words ('point of Contact' -> 'pointOfContact'), else None."""
    return _ROLE_CODES.get("".join((text or "").split()).lower())


def party(role, person, organisation, position=None, email=None) -> dict:
    """A party in the shape the choices below read; placeholder names count as no name."""
    return {
        "role": role,
        "person": given(person),
        "organisation": given(organisation),
        "position": given(position),
        "email": email,
    }


def xlink_party(element, role: str | None) -> dict | None:
    """A party given only by reference: its xlink:title, read as 'role - name', 'name (role)' or 'name'."""
    title = next((v for k, v in element.attrib.items() if k.rpartition("}")[2] == "title"), None)
    name = given(title)
    if name is None:
        return None
    for pattern, role_at, name_at in ((_TITLE_ROLE_FIRST, 1, 2), (_TITLE_ROLE_LAST, 2, 1)):
        match = pattern.match(name)
        if match and role_code(match.group(role_at)):
            return party(role_code(match.group(role_at)), None, match.group(name_at))
    return party(role, None, name)


def _party_19139(node) -> dict:
    return party(
        code(first(node, "role")),
        first_value(node, "individualName"),
        first_value(node, "organisationName"),
        first_value(node, "positionName"),
        first_value(node, _EMAIL),
    )


def _party_19115_3(node) -> dict:
    organisation = first(node, "party/CI_Organisation")
    person = first(node, "party/CI_Individual")
    if person is None and organisation is not None:
        person = first(organisation, "individual/CI_Individual")
    emails = [e for c in (person, organisation) if c is not None for e in values(c, _EMAIL)]
    return party(
        code(first(node, "role")),
        first_value(person, "name") if person is not None else None,
        first_value(organisation, "name") if organisation is not None else None,
        first_value(person, "positionName") if person is not None else None,
        emails[0] if emails else None,
    )


def iso_parties(holder, name: str, is_3: bool, role: str | None = None) -> list[dict]:
    """The parties in `holder`'s `name` properties (pointOfContact, contact, …), inline or by xlink."""
    read = _party_19115_3 if is_3 else _party_19139
    found = []
    for prop in children(holder, name) if holder is not None else []:
        inline = first(prop, "CI_Responsibility" if is_3 else "CI_ResponsibleParty")
        item = read(inline) if inline is not None else xlink_party(prop, role)
        if item is not None:
            found.append(item)
    return found


def by_role(parties: list[dict]) -> list[dict]:
    """Parties in the order of ROLES (a stable sort); parties of other or no role come last."""
    rank = {role: index for index, role in enumerate(ROLES)}
    return sorted(parties, key=lambda p: rank.get(p["role"], len(ROLES)))


def publisher(preferred: list[dict], resource: list[dict], metadata: list[dict]) -> dict | None:
    """publisher: the first organisation among the preferred parties, else the resource's parties
    with a role of ROLES in that order, else the metadata contacts."""
    walk = preferred + [p for p in by_role(resource) if p["role"] in ROLES] + by_role(metadata)
    name = next((p["organisation"] for p in walk if p["organisation"]), None)
    return {"@type": "org:Organization", "name": name} if name else None


def contact_point(
    candidates: list[dict], name: Callable[[dict], str | None], warnings: list[str]
) -> dict | None:
    """contactPoint: the first named candidate with a usable email, else the first named one.

    `name` is the standard's way of naming a party (ISO: person, else organisation, else position).
    """
    named = [c for c in candidates if name(c)]
    chosen = next((c for c in named if email_address(c["email"])), named[0] if named else None)
    if chosen is None:
        return None
    point = {"@type": "vcard:Contact", "fn": name(chosen)}
    email = mailto(chosen["email"], warnings)
    if email:
        point["hasEmail"] = email
    return point
