"""The distributions of an ISO 19139 / 19115-2 / 19115-3 record: its transfer options' online
resources, and the connect points of a service identification.

Formats are listed per MD_Distribution (or distributor, or transfer options in 19115-3), not per
link; transforms.crosswalk.formats decides which link each belongs on.
"""

from transforms.crosswalk import common, formats
from transforms.crosswalk.xml_kinds import code, first, first_value, walk


def _formats(holder, path: str) -> list[str]:
    """The format names at `path` (…/MD_Format): each format's name, else its specification's title."""
    found: list[str] = []
    for node in walk(holder, f"{path}/MD_Format"):
        name = first_value(node, "name") or first_value(node, "formatSpecificationCitation/CI_Citation/title")
        if name and name not in found:
            found.append(name)
    return found


def _link_groups(dist) -> list[tuple[list, list[str]]]:
    """(online resources, their formats) of one MD_Distribution: formats stated with the transfer options
    (19115-3), else with their distributor, else with the distribution."""
    names = _formats(dist, "distributionFormat")
    groups = [
        (walk(options, "onLine/CI_OnlineResource"), _formats(options, "distributionFormat") or names)
        for options in walk(dist, "transferOptions/MD_DigitalTransferOptions")
    ]
    for distributor in walk(dist, "distributor/MD_Distributor"):
        own = _formats(distributor, "distributorFormat") or names
        groups += [
            (walk(options, "onLine/CI_OnlineResource"), _formats(options, "distributionFormat") or own)
            for options in walk(distributor, "distributorTransferOptions/MD_DigitalTransferOptions")
        ]
    return groups


def _is_download(function: str, protocol: str, stated: str | None, url: str) -> bool:
    """A link is a file to download when its function or protocol says so, when the protocol names a
    file's media type, or (no function given) when its extension names a data file."""
    if function == "download" or "DOWNLOAD" in protocol.upper():
        return True
    if stated:
        return stated.lower() != "text/html"
    return not function and common.media_type_of(url) not in (None, "application/xml")


def online_resources(root, warnings: list[str]) -> tuple[list[dict], list[str]]:
    """(distributions, information URLs) from every MD_Distribution's digital transfer options, then
    the connect points of a service identification.

    The formats an MD_Distribution lists ("SHP, html") go only on the links whose own type agrees
    (transforms.crosswalk.formats): ISO does not say which link carries which. A media type written as
    the protocol (text/csv) is the link's mediaType.
    """
    items: list[dict] = []
    information: list[str] = []
    for dist in walk(root, "distributionInfo/MD_Distribution"):
        for resources, names in _link_groups(dist):
            for resource in resources:
                linkage = first_value(resource, "linkage")
                function = code(first(resource, "function")) or ""
                protocol = first_value(resource, "protocol") or ""
                stated = protocol if common.is_media_type(protocol) else None
                for url in common.urls_in(linkage) or ([linkage] if linkage else []):
                    if function == "information" and common.is_url(url):
                        information.append(url)
                    download = _is_download(function, protocol, stated, url)
                    item = common.distribution(
                        url,
                        first_value(resource, "name"),
                        first_value(resource, "description"),
                        names,
                        download,
                        warnings,
                        stated,
                        protocol,
                    )
                    common.add_distribution(items, item)
    for item in service_endpoints(root, warnings):
        common.add_distribution(items, item)
    return items, information


def service_endpoints(root, warnings: list[str]) -> list[dict]:
    """A distribution (accessURL) per connect point of a service identification's operations, with the
    service's format (WMS, WCS, ...) when its type, protocol or URL names one."""
    items: list[dict] = []
    for service in walk(root, "identificationInfo/SV_ServiceIdentification"):
        service_type = first_value(service, "serviceType") or ""
        for resource in walk(
            service, "containsOperations/SV_OperationMetadata/connectPoint/CI_OnlineResource"
        ):
            linkage = first_value(resource, "linkage")
            described = f"{first_value(resource, 'protocol') or ''} {service_type}"
            for url in common.urls_in(linkage) or ([linkage] if linkage else []):
                fmt = formats.service_format(url, described)
                item = common.distribution(
                    url,
                    first_value(resource, "name"),
                    first_value(resource, "description"),
                    [fmt] if fmt else [],
                    False,
                    warnings,
                    None,
                    described,
                )
                common.add_distribution(items, item)
    return items
