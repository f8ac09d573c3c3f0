"""The checks as pytest tests, against the live fake (the default target), over real sockets."""

from message_api_kit.contracts.testing import contract_tests

test_contract = contract_tests()
