"""Participant registry: deployment, registration, roles, suspension."""

from helpers import GREENS, reverts_with

ADMIN_ROLE = "0x" + "00" * 32


def test_deploy_gives_the_authority_admin_rights(ledger, authority, outsider, role):
    assert ledger.hasRole(ADMIN_ROLE, authority)
    assert not ledger.hasRole(ADMIN_ROLE, outsider)
    assert tuple(ledger.participant(outsider)) == (0, 0, False)
    bits = {name: ledger.roleBit(role_id) for name, role_id in role.items()}
    assert bits == {"SUPPLIER": 1, "CUSTOMS": 2, "LAB": 4, "VENDOR": 8, "REGULATOR": 16}
    assert ledger.roleBit(ADMIN_ROLE) == 0


def test_register_participant_grants_role_and_indexes(market, authority, outsider, farm, vendor, role):
    assert tuple(market.participant(farm)) == (1, 1, False)
    assert tuple(market.participant(vendor)) == (6, 8, False)
    assert market.hasRole(role["VENDOR"], vendor) and not market.hasRole(role["SUPPLIER"], vendor)

    tx = market.registerParticipant(outsider, role["LAB"], "Second Lab", "CMA-2026-0999", {"from": authority})

    registered = tx.events["ParticipantRegistered"]
    assert registered["account"] == outsider
    assert registered["role"] == role["LAB"]
    assert registered["index"] == 8
    assert (registered["name"], registered["identifier"]) == ("Second Lab", "CMA-2026-0999")
    assert tx.events["RoleGranted"]["account"] == outsider
    assert tuple(market.participant(outsider)) == (8, 4, False)
    assert market.participantAccount(8) == outsider

    # a second market role goes through AccessControl and lands in the packed record too
    market.grantRole(role["VENDOR"], outsider, {"from": authority})
    assert tuple(market.participant(outsider)) == (8, 4 | 8, False)

    with reverts_with("ParticipantAlreadyRegistered(address)", outsider):
        market.registerParticipant(outsider, role["LAB"], "Again", "CMA-2026-0999", {"from": authority})


def test_only_the_authority_registers_participants(market, outsider, farm, role):
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", farm, ADMIN_ROLE):
        market.registerParticipant(outsider, role["SUPPLIER"], "Shadow Farm", "6901234000999", {"from": farm})


def test_suspended_participant_holds_no_role(market, authority, farm, role, harvest):
    market.suspendParticipant(farm, "licence under review", {"from": authority})
    assert tuple(market.participant(farm)) == (1, 1, True)
    assert not market.hasRole(role["SUPPLIER"], farm)
    with reverts_with("ParticipantNotActive(address)", farm):
        harvest()

    market.reinstateParticipant(farm, {"from": authority})
    assert harvest().events["HarvestRegistered"]["batchId"] == market.batchIdOf(GREENS, "GV-2611-01")
